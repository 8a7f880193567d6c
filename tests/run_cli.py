"""Run the real ``storywire`` CLI in a subprocess, the way a user does."""
import os
import subprocess
import sys
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def storywire(*args, check=True, env=None, timeout=600):
    proc = subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"storywire {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr[-4000:]}")
    return proc


def read_table(output, table):
    """A table as readers see it: the files of the dataset's last commit, clusters as their current rows."""
    from pipeline.analyst.query import connect
    return connect(str(output)).execute(f"SELECT * FROM {table}").df()
