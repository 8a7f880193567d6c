"""The ``storywire`` command's script: what each extraction worker runs before it extracts anything."""
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(sys.executable).parent / "storywire"

# ``spawn`` runs the parent's script as ``__mp_main__`` in every worker it starts.
_AS_A_WORKER_LOADS_IT = ("import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
                         "print('apache_beam' in sys.modules, 'pipeline.cli' in sys.modules)")


@pytest.fixture(scope="module")
def script():
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: install the package (make .venv/.installed)")
    return SCRIPT


def test_a_worker_loading_the_command_script_imports_no_beam(script):
    out = subprocess.run([sys.executable, "-c", _AS_A_WORKER_LOADS_IT, str(script)], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_the_command_script_runs_the_command_line(script):
    proc = subprocess.run([str(script), "run", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--input" in proc.stdout
