"""ReadDocuments: every matched file read once, capped; the boilerplate sample is chosen from paths."""
import os

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from transforms.extract.boilerplate import FindRepeatedLines, candidate_lines, sample_rank
from transforms.model import Limits
from transforms.ingest.files import ReadDocuments, read_capped

PROMO = "Sign up for our morning briefing and get the top stories in your inbox."


def _write_site(folder, n):
    folder.mkdir()
    for i in range(n):
        body = f"Report {i} on the harbour dredging and the new ferry timetable for the island towns."
        # On nine pages in ten: a 25-page sample is then over half promo whatever the paths hash to
        # (on two in three, one tmp path in ~30 drew a sample with 11 of 25, and the test failed).
        if i % 10:
            body += "\n" + PROMO
        (folder / f"{i:04d}.txt").write_text(body)


def test_documents_are_read_once_and_capped(tmp_path):
    _write_site(tmp_path / "a", 30)
    (tmp_path / "a" / "big.txt").write_bytes(b"x" * 5000)
    with local_pipeline() as p:
        out = p | ReadDocuments(str(tmp_path / "a" / "*"), Limits(max_bytes=1000))
        assert_that(out["documents"] | beam.Map(lambda d: d.source.rsplit("/", 1)[1]),
                    equal_to([f"{i:04d}.txt" for i in range(30)] + ["big.txt"]), label="all")
        assert_that(out["documents"] | beam.Filter(lambda d: d.truncated) | beam.Map(lambda d: len(d.raw)),
                    equal_to([1000]), label="capped")
        assert_that(out["errors"], equal_to([]), label="no errors")


def test_sample_is_the_bottom_k_of_each_folder_and_finds_the_same_boilerplate(tmp_path):
    _write_site(tmp_path / "big", 120)
    _write_site(tmp_path / "small", 5)
    paths = [str(f) for f in sorted(tmp_path.glob("*/*.txt"))]
    expected = sorted(p for p in paths if "/big/" in p)
    expected = sorted(sorted(expected, key=sample_rank)[:25] + [p for p in paths if "/small/" in p])
    promo, = candidate_lines(PROMO.encode())

    with local_pipeline() as p:
        out = p | ReadDocuments(str(tmp_path / "*" / "*.txt"), sample_docs=25)
        assert_that(out["sample"] | beam.Map(lambda d: d.source), equal_to(expected), label="sampled paths")
        from_sample = out["sample"] | "FromSample" >> FindRepeatedLines(sample_docs=25)
        from_all = out["documents"] | "FromAll" >> FindRepeatedLines(sample_docs=25)
        want = [{str(tmp_path / "big"): frozenset({promo}), str(tmp_path / "small"): frozenset({promo})}]
        assert_that(from_sample, equal_to(want), label="sample boilerplate")
        assert_that(from_all, equal_to(want), label="all boilerplate")


@pytest.mark.parametrize("size", [0, 10, 999, 1000, 1001, 5000])
def test_read_capped_reads_the_file_up_to_the_cap(tmp_path, size):
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * (size // 256) + bytes(range(size % 256)))
    with open(path, "rb") as fh:
        assert read_capped(fh, 1001) == path.read_bytes()[:1001]


def test_read_capped_reads_on_when_the_file_grew_after_its_size_was_taken(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(b"y" * 3000)
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:6], 100, *real_fstat(fd)[7:])))
    with open(path, "rb") as fh:
        assert read_capped(fh, 2001) == b"y" * 2001
