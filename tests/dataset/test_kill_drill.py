"""The kill drill: a run SIGKILLed at each commit step leaves one consistent dataset, and the next run
completes it with nothing lost or duplicated.

Each drill runs the real CLI in a subprocess with ``STORYWIRE_CRASH_AT=<point>`` (the process
SIGKILLs itself there), reads the dataset back through its commit log with pyarrow and through
``storywire query``'s DuckDB views, then runs again without the fault. ``make test`` drills two
points; ``make drill`` (``STORYWIRE_DRILL_ALL=1``) all ten.
"""
import os
import shutil
import signal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.analyst import query
from transforms.dataset import commitlog
from tests.run_cli import ROOT, storywire

SEEDS = ROOT / "seeds"

#: Every point a run with --compact reaches, in order: in the job before publishing, then each publish
#: and compaction step (the renames, the commit's temporary file and its rename, the bookkeeping).
POINTS = ["pipeline", "ready", "planned", "publish", "moved", "commit", "committed", "manifest", "compact",
          "compacted"]
#: make test drills the two steps around making a run visible; make drill all ten (compaction included).
QUICK = ["publish", "commit"]


def _copy(dest, *prefixes):
    dest.mkdir(parents=True, exist_ok=True)
    for prefix in prefixes:
        shutil.copy(next(SEEDS.glob(prefix + "_*.txt")), dest)
    return dest


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A dataset of two runs (two files per partition, so compaction has work), and a third run's input."""
    root = tmp_path_factory.mktemp("drill")
    out = root / "out"
    storywire("run", "--input", _copy(root / "a", "000"), "--output", out)
    storywire("run", "--input", _copy(root / "b", "004"), "--output", out)
    return out, _copy(root / "c", "001", "002", "003")


def _read(out, table):
    files = commitlog.visible_files(str(out), table)
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default") if files else None


def _consistent(out) -> int:
    """Assert one consistent state across the tables (pyarrow and DuckDB agree); returns the article count."""
    articles, clusters, index = _read(out, "articles"), _read(out, "clusters"), _read(out, "index")
    ids = articles["article_id"].to_pylist()
    assert len(ids) == len(set(ids)), "an article is seen twice"
    cluster_ids = clusters["cluster_id"].to_pylist()
    assert len(cluster_ids) == len(set(cluster_ids)), "a cluster has two current rows"
    missing = set(articles["cluster_id"].to_pylist()) - set(cluster_ids)
    assert not missing, f"articles point at clusters that do not exist: {missing}"
    assert sum(clusters["size"].to_pylist()) == len(ids)
    assert sorted(index["article_id"].to_pylist()) == sorted(ids), "index and articles disagree"
    con = query.connect(str(out))
    n, orphans = con.execute("SELECT count(*), count(*) FILTER (WHERE c.cluster_id IS NULL) "
                             "FROM articles a LEFT JOIN clusters c USING (cluster_id)").fetchone()
    assert (n, orphans) == (len(ids), 0)
    return len(ids)


@pytest.mark.parametrize("point", POINTS if os.environ.get("STORYWIRE_DRILL_ALL") else QUICK)
def test_kill_at_each_commit_step(history, tmp_path, point):
    base, new_input = history
    out = tmp_path / "out"
    shutil.copytree(base, out)
    before = _consistent(out)

    killed = storywire("run", "--input", new_input, "--output", out, "--compact", check=False,
                       env={"STORYWIRE_CRASH_AT": point})
    assert killed.returncode == -signal.SIGKILL, f"the run never reached {point}:\n{killed.stdout}"
    seen = _consistent(out)
    # All of the run or none of it: the commit is the one step that makes it visible.
    assert seen == (before if POINTS.index(point) <= POINTS.index("commit") else before + 3)

    storywire("run", "--input", new_input, "--output", out, "--compact")
    assert _consistent(out) == before + 3
    assert not list((out / "_staging").rglob("*"))
    # After the compaction, one file per partition of every table.
    snapshot = commitlog.read_snapshot(str(out))
    for table in commitlog.TABLES:
        folders = [os.path.dirname(f) for f in snapshot.files(table)]
        assert len(folders) == len(set(folders)), (table, snapshot.files(table))
        # No file left behind in the folders that the log does not list (raw globs see the same rows).
        on_disk = {commitlog.relative(str(out), f) for f in commitlog.folder_files(str(out), table)}
        assert on_disk == set(snapshot.files(table))
