"""numpy's OpenBLAS gets one thread in storywire's processes: its spinning threads took a core from the run."""
import os
import subprocess
import sys

_THREADS_AFTER_NUMPY = ("import pipeline, numpy, os; "
                        "print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])")


def _run(env):
    return subprocess.run([sys.executable, "-c", _THREADS_AFTER_NUMPY], env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def test_numpy_imported_under_storywire_starts_no_blas_thread():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert _run(env) == ["1", "1"]  # the main thread only (OpenBLAS starts one per extra core)
    assert _run({**env, "OPENBLAS_NUM_THREADS": "2"})[1] == "2"  # the caller's own setting stands
