"""Hostile inputs and operations through the real CLI (issue 21): every input is an article or an
errors row with a reason, the summary's accounting holds, and odd paths and options work.
"""
import os
import shutil

from tests.run_cli import ROOT, read_table, storywire

SEEDS = ROOT / "seeds"


def _hostile_folder(folder):
    folder.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, folder / seed.name)
    os.mkfifo(folder / "pipe")
    with open(os.fsencode(str(folder)) + b"/bad_\xff.txt", "wb") as fh:
        fh.write(sorted(SEEDS.glob("*.txt"))[2].read_bytes())
    os.symlink("loop_b", folder / "loop_a")
    os.symlink("loop_a", folder / "loop_b")
    os.symlink("missing.txt", folder / "dangling")


def test_run_accounts_for_fifo_bad_name_and_broken_links(tmp_path):
    _hostile_folder(tmp_path / "in")
    out = tmp_path / "out"
    proc = storywire("run", "--input", tmp_path / "in", "--output", out, timeout=120)
    assert "[OK]" in proc.stdout, proc.stdout
    arts = read_table(out, "articles")
    assert sorted(os.path.basename(s) for s in arts["source"]) == sorted(
        [p.name for p in sorted(SEEDS.glob("*.txt"))[:2]] + ["bad_\\xff.txt"])
    errors = read_table(out, "errors")
    assert sorted(zip((os.path.basename(s) for s in errors["source"]), errors["reason"])) == [
        ("dangling", "dangling_symlink"), ("loop_a", "symlink_loop"), ("loop_b", "symlink_loop"),
        ("pipe", "not_a_regular_file")]
    assert "3 + 4 + 0 = 7 [OK]" in proc.stdout, proc.stdout
