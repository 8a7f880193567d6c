"""Runs that grow one dataset: joining past stories, skipping ingested input, surviving SIGKILL."""
import json
import re
import shutil
import signal

import pytest

from tests.run_cli import ROOT, read_table, storywire

SEEDS = ROOT / "seeds"


def seed(prefix):
    return next(SEEDS.glob(prefix + "_*.txt"))


def copy_seeds(dest, *prefixes):
    dest.mkdir(parents=True, exist_ok=True)
    for p in prefixes:
        shutil.copy(seed(p), dest)
    return dest


def test_new_copy_joins_existing_cluster_and_rerun_adds_nothing(tmp_path):
    out = tmp_path / "out"
    storywire("run", "--input", copy_seeds(tmp_path / "a", "000", "004"), "--output", out)
    first = read_table(out, "articles")
    cid_000 = first[first["source"].str.contains("000_")]["cluster_id"].iloc[0]

    proc = storywire("run", "--input", copy_seeds(tmp_path / "b", "001"), "--output", out)
    assert "joined earlier stories" in proc.stdout
    arts = read_table(out, "articles")
    assert len(arts) == 3
    assert arts[arts["source"].str.contains("001_")]["cluster_id"].iloc[0] == cid_000
    # Ids given in the first run did not change.
    assert set(first["cluster_id"]) <= set(arts["cluster_id"])
    clusters = read_table(out, "clusters").set_index("cluster_id")
    assert clusters.loc[cid_000, "size"] == 2 and len(clusters) == 2

    # The same input again adds nothing and says so.
    again = storywire("run", "--input", tmp_path / "b", "--output", out)
    assert re.search(r"already ingested \(skipped\)\s+1\n", again.stdout), again.stdout
    assert len(read_table(out, "articles")) == 3
    assert len(read_table(out, "clusters")) == 2


def test_bridge_between_two_old_clusters_records_merge(tmp_path):
    words = [f"w{i}" for i in range(400)]
    left, right = " ".join(words[:200]), " ".join(words[200:])
    bridge = " ".join(words[50:350])  # three quarters of each
    a = tmp_path / "a"
    a.mkdir()
    (a / "left.txt").write_text(" date 2024-01-01\n\n" + left)
    (a / "right.txt").write_text(" date 2024-01-02\n\n" + right)
    out = tmp_path / "out"
    storywire("run", "--input", a, "--output", out, "--threshold", "0.3")
    before = read_table(out, "clusters")
    assert len(before) == 2
    b = tmp_path / "b"
    b.mkdir()
    (b / "bridge.txt").write_text(" date 2024-01-03\n\n" + bridge)
    storywire("run", "--input", b, "--output", out, "--threshold", "0.3")
    after = read_table(out, "clusters").set_index("cluster_id")
    assert set(after.index) == set(before["cluster_id"])  # no cluster renamed or lost
    merged = after[after["merged_into"].notna()]
    assert len(merged) == 1 and merged["merged_into"].iloc[0] in after.index
    target = merged["merged_into"].iloc[0]
    assert after.loc[target, "size"] == 2


def test_index_config_mismatch_is_refused(tmp_path):
    out = tmp_path / "out"
    storywire("run", "--input", copy_seeds(tmp_path / "a", "000"), "--output", out)
    proc = storywire("run", "--input", tmp_path / "a", "--output", out, "--num_perm", "64", check=False)
    assert proc.returncode == 2 and "num_perm" in proc.stderr


# "publish" and the other commit steps are drilled in test_kill_drill.
@pytest.mark.parametrize("crash_at", ["pipeline"])
def test_sigkill_leaves_previous_state_and_next_run_completes(tmp_path, crash_at):
    out = tmp_path / "out"
    storywire("run", "--input", copy_seeds(tmp_path / "a", "000", "004"), "--output", out)
    before = read_table(out, "articles")
    src = copy_seeds(tmp_path / "b", "001", "002", "003")
    # The process SIGKILLs itself at the named point (fault injection hook in transforms.dataset.publish).
    proc = storywire("run", "--input", src, "--output", out, check=False,
                     env={"STORYWIRE_CRASH_AT": crash_at})
    assert proc.returncode == -signal.SIGKILL
    seen = read_table(out, "articles")
    if crash_at == "pipeline":
        # Killed after the pipeline wrote its staged files, before publishing: readers see the old state.
        assert sorted(seen["article_id"]) == sorted(before["article_id"])
        assert list((out / "_staging").rglob("*.parquet"))
    else:
        # Killed halfway through publishing: what is visible is complete rows, never a partial file.
        assert set(before["article_id"]) <= set(seen["article_id"])
    proc = storywire("run", "--input", src, "--output", out)
    final = read_table(out, "articles")
    assert len(final) == 5 and final["article_id"].is_unique
    assert not list((out / "_staging").rglob("*.parquet"))
    clusters = read_table(out, "clusters")
    assert clusters["size"].sum() == 5


def test_run_publishes_from_inside_the_pipeline_without_the_launcher_waiting(tmp_path):
    """--no_wait (what the flex template launcher passes): the job's last step publishes by itself."""
    out = tmp_path / "out"
    proc = storywire("run", "--input", copy_seeds(tmp_path / "a", "000", "004"), "--output", out, "--no_wait")
    assert "submitted" in proc.stdout
    assert len(read_table(out, "articles")) == 2
    assert not list((out / "_staging").rglob("*"))
    run = json.loads(next((out / "_runs").glob("*.json")).read_text())
    assert run["rows"] == {"articles": 2, "clusters": 2, "errors": 0}


def test_publish_step_can_run_again(tmp_path):
    """A runner may retry the publishing step: the second call changes nothing and reports the same rows."""
    import datetime as dt

    from transforms.dataset import layout
    from transforms.dataset.publish import publish_run
    from schemas import ARTICLES_SCHEMA, to_row
    from transforms.dataset.write import write_parquet

    out = tmp_path / "out"
    part = out / "_staging" / "r1" / "articles" / layout.partition("2024-10-21")
    part.mkdir(parents=True)
    now = dt.datetime(2024, 10, 21, tzinfo=dt.timezone.utc)
    rows = [to_row({"article_id": f"a{i}", "source": f"s{i}", "cluster_id": "c1", "ingested_at": now},
                   ARTICLES_SCHEMA) for i in range(3)]
    write_parquet(str(part / "part-r1-00000.parquet"), rows, ARTICLES_SCHEMA)
    first = publish_run(str(out), "r1", "2024-10-21", {"run_id": "r1"})
    assert first == {"articles": 3, "clusters": 0, "errors": 0}
    assert publish_run(str(out), "r1", "2024-10-21", {"run_id": "r1"}) == first
    assert not (out / "_staging" / "r1").exists()
    assert len(read_table(out, "articles")) == 3


@pytest.mark.parametrize("killed_at", ["planned", "publish", "commit"])
def test_clusters_staged_as_several_files_publish_in_one_commit(tmp_path, monkeypatch, killed_at):
    """The clusters stage may run as many bundles (a file each): all of them become visible in one commit.

    The publish step is stopped once (after planning, after the first rename, or with the commit
    written but not yet in place), readers still see nothing of the run, and then it runs again.
    """
    from transforms.dataset import commitlog, publish
    from schemas import CLUSTERS_SCHEMA, to_row
    from transforms.dataset.write import write_parquet

    out = tmp_path / "out"
    staged = out / "_staging" / "r1" / "clusters"
    staged.mkdir(parents=True)
    for part in range(3):
        rows = [to_row({"cluster_id": f"c{part}-{i}", "size": 1}, CLUSTERS_SCHEMA) for i in range(40 + part)]
        write_parquet(str(staged / f"part-r1-{part:05d}-of-00003.parquet"), rows, CLUSTERS_SCHEMA)

    def crash(name):
        if name == killed_at:
            raise KeyboardInterrupt
    monkeypatch.setattr(publish, "crash_point", crash)
    monkeypatch.setattr(commitlog, "crash_point", crash)
    with pytest.raises(KeyboardInterrupt):
        publish.publish_run(str(out), "r1", "2024-10-21", {"run_id": "r1"})
    monkeypatch.undo()
    assert commitlog.visible_files(str(out), "clusters") == []
    rows = publish.publish_run(str(out), "r1", "2024-10-21", {"run_id": "r1"})
    assert rows["clusters"] == 123
    assert len(commitlog.read_snapshot(str(out)).files("clusters")) == 3
    clusters = read_table(out, "clusters")
    assert len(clusters) == 123 and clusters["cluster_id"].is_unique
    assert not (out / "_staging" / "r1").exists()


def test_overlapping_runs_wait_for_each_other_and_lose_nothing(tmp_path):
    """A scheduled run that starts while the previous one is still going waits for it (local datasets)."""
    import fcntl
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    out.mkdir()
    slow = copy_seeds(tmp_path / "a", "000", "002", "003", "004")
    for i in range(60):  # enough documents that the first run is still going when the second starts
        (slow / f"extra_{i:03d}.txt").write_text(f"Local notice {i}\n\n" + " ".join(
            f"Item {i} word{j} council{j % 7} meeting{j % 11} budget{(i * j) % 13}." for j in range(120)))
    cmd = [sys.executable, "-m", "pipeline", "run", "--output", str(out)]
    first = subprocess.Popen(cmd + ["--input", str(slow)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        held = False
        while not held and time.monotonic() < deadline and first.poll() is None:
            with open(out / "_lock", "a+") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fh, fcntl.LOCK_UN)
                except BlockingIOError:
                    held = True
            time.sleep(0.05)  # waiting for the first run to take the lock, with a deadline
        assert held, "the first run never took the dataset lock"
        second = storywire("run", "--input", copy_seeds(tmp_path / "b", "001"), "--output", out)
        first_out, first_err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, first_err[-3000:]
    assert "waiting for it to finish" in second.stderr
    arts = read_table(out, "articles")
    assert len(arts) == 65 and arts["article_id"].is_unique
    clusters = read_table(out, "clusters")
    assert clusters["size"].sum() == 65 and clusters["cluster_id"].is_unique
    by_source = dict(zip(arts["source"].str.rsplit("/", n=1).str[-1].str[:3], arts["cluster_id"]))
    assert by_source["001"] == by_source["000"]  # the second run's copy joined the first run's story
