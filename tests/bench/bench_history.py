"""History bench (``make bench-history``): does a scheduled run's cost grow with the dataset's history?

1. A 200-document run (the generated corpus) is timed, with its peak RSS, on datasets whose history
   holds 0, 50,000 and 1,000,000 past articles. The histories are written directly as index and
   cluster files of realistic rows (issue 20 allows it for the million point): real rows of a
   run on the generated corpus, copied with fresh ids, random signatures and anchors and their
   event terms made unique, so they are as large as real ones but match nothing. Each size is
   measured in-window (every past article ingested within --match_window_days) and, for the
   million, spread over a year with the default 30-day window and also unbounded.
2. ``--runs`` scheduled runs of a few documents each into one dataset, then one compaction: files
   per table partition before and after.

Each configuration runs ``--repeat`` times on a fresh copy; medians and ratios against the empty
dataset measured in the same invocation are printed. Writes tests/bench/history_results.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from schemas import CLUSTERS_SCHEMA, INDEX_SCHEMA
from tests.bench.corpus import generate
from transforms.dataset import commitlog, layout
from transforms.dataset.write import write_parquet

ROOT = Path(__file__).resolve().parents[2]
_ROWS_PER_FILE = 50_000


def _storywire(*args, env=None) -> tuple:
    """Run the CLI under /usr/bin/time; (wall s, peak RSS MB, stdout, CPU s).

    CPU time (user + system) is quoted beside wall time: on a shared machine it moves far less.
    """
    cmd = ["/usr/bin/time", "-f", "%e %M %U %S", sys.executable, "-m", "pipeline", *map(str, args)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"storywire {' '.join(map(str, args))} failed:\n{proc.stderr[-3000:]}")
    wall, rss, user, system = proc.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss) / 1024, proc.stdout, float(user) + float(system)


def _templates(work: Path) -> tuple:
    """Index and cluster rows of a real run on 1,000 generated documents, and its MinHash config."""
    docs = work / "tmpl"
    generate(docs, 1000, seed=3)
    out = work / "tmpl-out"
    _storywire("run", "--input", docs / "docs", "--output", out)
    index = pa.concat_tables([pq.read_table(f) for f in commitlog.visible_files(str(out), "index")])
    clusters = pa.concat_tables([pq.read_table(f) for f in commitlog.visible_files(str(out), "clusters")])
    return index.to_pylist(), clusters.to_pylist(), (out / layout.INDEX / layout.INDEX_CONFIG).read_text()


def _synthetic(index_rows, cluster_rows, n: int, rng: np.random.Generator, now: dt.datetime, spread_days: float,
               text_chars: int):
    """Batches of (index rows, cluster rows) of ``n`` past articles, oldest first."""
    ages = np.sort(rng.uniform(0, spread_days * 86400, n))[::-1]
    texts = [c.get("text") or "" for c in cluster_rows]
    for start in range(0, n, _ROWS_PER_FILE):
        index, clusters = [], []
        for i in range(start, min(n, start + _ROWS_PER_FILE)):
            t = index_rows[i % len(index_rows)]
            article_id, cluster_id = f"h{i:08d}", f"ch{i:08d}"
            when = now - dt.timedelta(seconds=float(ages[i]))
            tag = uuid.UUID(int=int(rng.integers(0, 2**63))).hex[:8]
            terms = "\t".join(f"{item.rpartition(' ')[0]}{tag} {item.rpartition(' ')[2]}"
                              for item in (t["event_terms"] or "").split("\t") if item)
            index.append({**t, "article_id": article_id, "url": f"https://hist.example/{i}",
                          "content_hash": f"{i:016x}", "cluster_id": cluster_id, "ingested_at": when,
                          "sig": rng.integers(0, 2**32, len(t["sig"]) // 4, dtype=np.uint64).astype(np.uint32).tobytes(),
                          "anchors": rng.integers(0, 2**32, len(t["anchors"] or b"") // 4,
                                                  dtype=np.uint64).astype(np.uint32).tobytes(),
                          "event_terms": terms, "event_id": f"eh{i:08d}", "run_id": "history"})
            clusters.append({"cluster_id": cluster_id, "canonical_article_id": article_id, "title": f"Story {i}",
                             "text": texts[i % len(texts)][:text_chars], "size": 1, "member_ids": [article_id],
                             "sites": ["hist.example"], "first_published": when, "last_published": when,
                             "merged_into": None, "run_id": "history", "updated_at": when})
        yield index, clusters


def build_history(base: Path, templates, n: int, spread_days: float, now: dt.datetime, text_chars: int) -> Path:
    if base.exists():  # built for the previous configuration
        return base
    index_rows, cluster_rows, config = templates
    out = base
    (out / layout.INDEX).mkdir(parents=True, exist_ok=True)
    (out / layout.INDEX / layout.INDEX_CONFIG).write_text(config)
    if n:
        (out / layout.CLUSTERS).mkdir(parents=True, exist_ok=True)
        tables = {"index": [], "clusters": []}
        rng = np.random.default_rng(n)
        for k, (index, clusters) in enumerate(_synthetic(index_rows, cluster_rows, n, rng, now, spread_days,
                                                         text_chars)):
            name = f"part-history-{k:05d}.parquet"
            write_parquet(str(out / layout.INDEX / name), index, INDEX_SCHEMA)
            write_parquet(str(out / layout.CLUSTERS / name), clusters, CLUSTERS_SCHEMA)
            tables["index"].append(f"{layout.INDEX}/{name}")
            tables["clusters"].append(f"{layout.CLUSTERS}/{name}")
        commitlog.commit(str(out), "history", "history", tables)
    return out


def _files_per_partition(out: Path) -> dict:
    snapshot = commitlog.read_snapshot(str(out))
    found = {}
    for table in commitlog.TABLES:
        per = {}
        for rel in snapshot.files(table):
            per[os.path.dirname(rel)] = per.get(os.path.dirname(rel), 0) + 1
        found[table] = max(per.values(), default=0)
    return found


def scheduled_runs(work: Path, runs: int, per_run: int) -> dict:
    docs = work / "sched"
    generate(docs, runs * per_run, seed=5)
    files = sorted((docs / "docs").iterdir())
    out = work / "sched-out"
    walls = []
    for i in range(runs):
        batch = work / f"batch-{i:03d}"
        batch.mkdir()
        for f in files[i * per_run:(i + 1) * per_run]:
            shutil.copy(f, batch)
        walls.append(_storywire("run", "--input", batch, "--output", out)[0])
        shutil.rmtree(batch)
    before = _files_per_partition(out)
    wall, rss, _, _ = _storywire("compact", out)
    after = _files_per_partition(out)
    print(f"\n{runs} scheduled runs of {per_run} documents (median run {statistics.median(walls):.1f} s), "
          f"then `storywire compact` ({wall:.1f} s, {rss:.0f} MB):")
    print(f"  {'table':<10} {'most files in a partition: before':>34} {'after':>6}")
    for table in before:
        print(f"  {table:<10} {before[table]:>34} {after[table]:>6}")
    return {"runs": runs, "per_run": per_run, "before": before, "after": after, "compact_s": wall}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,50000,1000000")
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--per_run", type=int, default=5)
    parser.add_argument("--text_chars", type=int, default=2000,
                        help="Canonical text kept per synthetic cluster row (disk only: runs read touched clusters).")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="storywire-history-"))
    results = {"sizes": [], "scheduled": None}
    try:
        if sizes:
            results["sizes"] = _sizes(work, sizes, args)
        if args.runs:
            results["scheduled"] = scheduled_runs(work, args.runs, args.per_run)
            print("  target: a handful of files per partition after compaction")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (ROOT / "tests" / "bench" / "history_results.json").write_text(json.dumps(results, indent=2))
    return 0


def _sizes(work: Path, sizes: list, args) -> list:
    new_docs = work / "new"
    generate(new_docs, args.docs, seed=11)
    templates = _templates(work)
    now = dt.datetime.now(dt.timezone.utc)
    configs = []
    for n in sizes:
        if n >= 1_000_000:  # a year of history: the default window, and none
            configs.append((n, 365.0, [], "1 year, 30-day window"))
            configs.append((n, 365.0, ["--match_window_days", "unbounded"], "1 year, unbounded"))
        else:
            configs.append((n, 20.0, [], "in window"))
    bases = [build_history(work / f"hist-{n}-{spread:g}", templates, n, spread, now, args.text_chars)
             for n, spread, _, _ in configs]
    measured = [{"walls": [], "cpus": [], "rss": []} for _ in configs]
    # Round robin, so that a burst of load on the shared machine falls on every configuration alike.
    for _ in range(args.repeat):
        for (n, spread, extra, label), base, m in zip(configs, bases, measured):
            out = work / "run-out"
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(base, out)
            wall, rss, _, cpu = _storywire("run", "--input", new_docs / "docs", "--output", out, *extra)
            m["walls"].append(wall)
            m["cpus"].append(cpu)
            m["rss"].append(rss)
            print(f"history {n:>9,} ({label}): {wall:6.1f} s wall, {cpu:6.1f} s CPU, {rss:.0f} MB", flush=True)
    rows = [{"history": n, "label": label, "wall_s": statistics.median(m["walls"]), "walls": m["walls"],
             "cpu_s": statistics.median(m["cpus"]), "cpus": m["cpus"], "peak_rss_mb": max(m["rss"])}
            for (n, _, _, label), m in zip(configs, measured)]
    empty = next(r for r in rows if r["history"] == 0)
    print(f"\n{args.docs}-document run against history size (medians; ratios to the empty dataset, same "
          f"invocation):")
    print(f"  {'past articles':>13}  {'history':<24} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6} "
          f"{'peak RSS MB':>11}")
    for r in rows:
        r["ratio"], r["cpu_ratio"] = r["wall_s"] / empty["wall_s"], r["cpu_s"] / empty["cpu_s"]
        print(f"  {r['history']:>13,}  {r['label']:<24} {r['wall_s']:>7.1f} {r['ratio']:>6.2f} {r['cpu_s']:>7.1f} "
              f"{r['cpu_ratio']:>6.2f} {r['peak_rss_mb']:>11.0f}")
    print("  targets: 50,000 <= 1.3x; 1,000,000 <= 2x with peak RSS < 1024 MB")
    for base in bases:
        shutil.rmtree(base, ignore_errors=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
