"""A local run writes the same dataset whatever the number of extraction workers."""
import pyarrow.parquet as pq

from tests.bench.corpus import generate
from tests.run_cli import storywire

#: Set by the run's clock, not by its data.
CLOCK_COLUMNS = {"ingested_at", "updated_at"}


def _content(out, table):
    files = sorted((out / table).rglob("*.parquet"))
    assert files, f"no {table} files in {out}"
    rows = []
    for f in files:
        t = pq.read_table(f)
        rows += [repr(sorted((k, v) for k, v in r.items() if k not in CLOCK_COLUMNS)) for r in t.to_pylist()]
    return sorted(rows)


def test_one_and_two_workers_write_the_same_dataset(tmp_path):
    n_docs = 200
    generate(tmp_path / "corpus", n_docs, seed=5)
    (tmp_path / "corpus" / "docs" / "empty.txt").write_bytes(b"")  # an errors row as well
    outs = {}
    for workers in (1, 2):
        outs[workers] = tmp_path / f"out{workers}"
        proc = storywire("run", "--input", f"{tmp_path}/corpus/docs/*", "--output", outs[workers],
                         # No warm-up: the second run extracts in worker processes from the first document.
                         "--workers", workers, "--worker_warmup_seconds", 0, "--run_id", "same")
        assert "[OK]" in proc.stdout
    for table in ("articles", "clusters", "errors", "_index"):
        one, two = _content(outs[1], table), _content(outs[2], table)
        assert one == two, table
    assert len(_content(outs[1], "articles")) == n_docs and len(_content(outs[1], "errors")) == 1
