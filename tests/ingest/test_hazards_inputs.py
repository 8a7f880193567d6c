"""Hostile and odd inputs (issue 21): every input ends as a document or an errors record with a reason.

Each test here failed before its fix: a FIFO hung the run, a non-UTF-8 name crashed it, broken
symlinks vanished unseen, a glob character in an existing path matched nothing.
"""
import contextlib
import os
import signal
import socket

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from transforms.ingest.files import ReadDocuments
from transforms.paths import literal_pattern
from transforms.paths import display_path, path_from_display

TEXT = "The harbour board approved the dredging plan for the island ferry route on Tuesday evening. " * 4


@contextlib.contextmanager
def _deadline(seconds):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""
    def _fire(*_):
        raise TimeoutError(f"still running after {seconds}s")
    old = signal.signal(signal.SIGALRM, _fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _errors_by_name(out):
    return out["errors"] | beam.Map(lambda e: (os.path.basename(e["source"]), e["stage"], e["reason"]))


def _doc_names(out, label="DocNames"):
    return out["documents"] | label >> beam.Map(lambda d: os.path.basename(d.source))


def test_fifo_socket_and_device_are_error_rows_and_never_opened(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text(TEXT)
    os.mkfifo(folder / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock"))
    os.symlink("/dev/zero", folder / "zero")  # a device behind a link: endless if read
    try:
        with _deadline(30), local_pipeline() as p:
            out = p | ReadDocuments(str(folder / "*"), sample_docs=25)
            assert_that(_doc_names(out), equal_to(["story.txt"]), label="docs")
            assert_that(_errors_by_name(out), equal_to([
                ("pipe", "read", "not_a_regular_file"), ("sock", "read", "not_a_regular_file"),
                ("zero", "read", "not_a_regular_file")]), label="errors")
    finally:
        sock.close()
        with contextlib.suppress(OSError):  # unblock a reader stuck on the FIFO, if any
            os.close(os.open(folder / "pipe", os.O_WRONLY | os.O_NONBLOCK))


def test_non_utf8_file_name_is_read_and_kept_reversibly(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    raw_name = os.fsencode(str(folder)) + b"/bad_\xff.txt"
    with open(raw_name, "wb") as fh:
        fh.write(TEXT.encode())
    (folder / "good.txt").write_text(TEXT)
    with local_pipeline() as p:
        out = p | ReadDocuments(str(folder / "*"), sample_docs=25)
        assert_that(_doc_names(out), equal_to(["bad_\\xff.txt", "good.txt"]), label="docs")
        assert_that(out["documents"] | beam.Map(lambda d: os.fsencode(path_from_display(d.source))),
                    equal_to([raw_name, os.fsencode(str(folder / "good.txt"))]), label="reversible")
        assert_that(out["errors"], equal_to([]), label="no errors")


@pytest.mark.parametrize("name", ["plain.txt", "bad_\udcff.txt", "back\\slash_\udc80.txt", "caf\u00e9 \\x41"])
def test_display_path_round_trips(name):
    shown = display_path("/in/" + name)
    shown.encode("utf-8")  # storable
    assert path_from_display(shown) == "/in/" + name


def test_symlink_loop_and_dangling_symlink_are_error_rows(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text(TEXT)
    os.symlink("loop_b", folder / "loop_a")
    os.symlink("loop_a", folder / "loop_b")
    os.symlink("missing.txt", folder / "dangling")
    with local_pipeline() as p:
        out = p | ReadDocuments(str(folder / "*"))
        assert_that(_doc_names(out), equal_to(["story.txt"]), label="docs")
        assert_that(_errors_by_name(out), equal_to([
            ("dangling", "read", "dangling_symlink"), ("loop_a", "read", "symlink_loop"),
            ("loop_b", "read", "symlink_loop")]), label="errors")


def test_input_path_with_glob_characters_that_exists_is_read_literally(tmp_path):
    folder = tmp_path / "in[b]"
    folder.mkdir()
    (folder / "story[1].txt").write_text(TEXT)
    (tmp_path / "inb").mkdir()
    (tmp_path / "inb" / "other.txt").write_text(TEXT)  # what the pattern would match as a glob
    assert literal_pattern(str(tmp_path / "nothing[x]")) == str(tmp_path / "nothing[x]")
    with local_pipeline() as p:
        single = p | "File" >> ReadDocuments(str(folder / "story[1].txt"))
        assert_that(_doc_names(single, "SingleNames"), equal_to(["story[1].txt"]), label="file")
        inside = p | "Folder" >> ReadDocuments(literal_pattern(str(folder)) + "/*")
        assert_that(_doc_names(inside, "FolderNames"), equal_to(["story[1].txt"]), label="folder")
