"""The benchmarks (``make bench``, ``bench-quality``, ``bench-extract``, ``bench-history``, ``soak``).

Their plain loops stand for one core running our code as the pipeline runs it, so they get the
pipeline's one BLAS thread too (``pipeline/__init__.py``): with OpenBLAS's default, a second thread
spun after every numpy call (py3langid scores each text with one) and the plain loop's CPU time read
~1.6x its wall time at 10k documents.
"""
import pipeline  # noqa: F401  (sets OPENBLAS_NUM_THREADS=1 before numpy loads, unless the caller set it)
