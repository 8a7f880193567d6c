"""storywire's command line and batch graph.

OpenBLAS (numpy's BLAS) starts one thread per core, which spins after each call: in a 1-worker 10k run it
burnt 17.6 s of CPU in the first 30 s while the run's own thread used 31 s, taking a core from the
extraction workers on a 2-core machine. storywire's parallelism is its worker processes (which inherit
this), so BLAS gets one thread unless the caller set it. Set here, before anything imports numpy.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
