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
    import duckdb
    pattern = f"{output}/{table}/**/*.parquet" if table != "clusters" else f"{output}/clusters/*.parquet"
    return duckdb.sql(f"SELECT * FROM read_parquet('{pattern}', hive_partitioning=true, union_by_name=true)").df()
