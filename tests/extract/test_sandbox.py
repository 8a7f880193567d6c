"""transforms.extract.sandbox: the time limit really fires, the worker is killed and replaced, normal pages stay fast."""
import os
import pickle
import threading
import time

import pytest

from tests.extract.test_htmlextract import PARAGRAPHS, article
from transforms.extract.html import HtmlExtractor, extract_html
from transforms.model import ExtractionError, Limits
from transforms.extract.sandbox import ExtractionSandbox

HOOKED = "tests.extract.test_sandbox:hooked_extractor"


def _hook(html: str) -> None:
    """Test-only misbehaviour, triggered by markers in the page (runs inside the worker)."""
    if "<!--SLOW-->" in html:
        time.sleep(60)
    if "<!--ALLOC-->" in html:
        hog = bytearray(3 * 1024 ** 3)  # over the cap set by the tests below
        hog[-1] = 1
    if "<!--ABORT-->" in html:
        os.abort()


def hooked_extractor() -> HtmlExtractor:
    """Factory the worker imports by name ("tests.extract.test_sandbox:hooked_extractor")."""
    return HtmlExtractor(extract_hook=_hook)


def deep_page(depth: int = 400) -> str:
    return article(before="<div>" * depth).replace("</body>", "</div>" * depth + "</body>")


def big_page(paragraphs: int) -> str:
    body = "".join(f"<div class='item'><p>{PARAGRAPHS[i % len(PARAGRAPHS)]} ({i})</p></div>" for i in range(paragraphs))
    return f"<html><head><title>Big page</title></head><body><article>{body}</article></body></html>"


def test_normal_page_takes_the_in_process_fast_path(sandbox_factory):
    sb = sandbox_factory()
    page = article()
    result = sb.extract(page, "https://riversidepost.com/a")
    assert sb.stats["inprocess"] == 1 and sb.stats["sandboxed"] == 0
    assert sb._worker is None  # no process was started for it
    assert result.text == extract_html(page, "https://riversidepost.com/a", Limits()).text


def test_deep_page_goes_to_the_worker_and_still_yields_text(sandbox_factory):
    sb = sandbox_factory()
    result = sb.extract(deep_page(), None)
    assert sb.stats["sandboxed"] == 1
    for p in PARAGRAPHS:
        assert p in result.text
    assert any(n.startswith("flattened") for n in result.notes)
    assert result.extractor == "trafilatura"


def test_worker_result_equals_in_process_result(sandbox_factory):
    page = article(head="<meta property='article:published_time' content='2024-05-07T21:15:00-05:00'>")
    forced = sandbox_factory(inprocess_max_chars=0)
    remote = forced.extract(page, "https://riversidepost.com/a")
    local = extract_html(page, "https://riversidepost.com/a", Limits())
    assert remote == local
    assert remote.published.tzinfo is not None


def test_timeout_kills_the_worker_and_the_next_call_works(sandbox_factory):
    sb = sandbox_factory(Limits(extract_timeout_s=1.0), inprocess_max_chars=0, extractor_factory=HOOKED)
    sb.extract(article(), None)  # start the worker
    first = sb._worker.proc
    started = time.monotonic()
    with pytest.raises(ExtractionError) as info:
        sb.extract(article(inside="<!--SLOW-->"), None)
    elapsed = time.monotonic() - started
    assert info.value.reason == "timeout" and info.value.stage == "extract"
    assert 0.9 <= elapsed < 10, elapsed  # the hook sleeps 60 s: the limit cut it short
    assert first.poll() is not None  # the worker was killed
    result = sb.extract(article(), None)
    assert PARAGRAPHS[0] in result.text
    assert sb._worker.proc.pid != first.pid and sb.stats["timeouts"] == 1


def test_timeout_on_a_real_pathological_page(sandbox_factory):
    # ~5 MB of markup: trafilatura needs seconds; the limit is 0.3 s.
    sb = sandbox_factory(Limits(extract_timeout_s=0.3))
    page = big_page(30000)
    assert not sb.routes_inprocess(page)
    started = time.monotonic()
    with pytest.raises(ExtractionError) as info:
        sb.extract(page, None)
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 5
    assert PARAGRAPHS[2] in sb.extract(article(), None).text


def test_huge_page_is_handled_in_the_worker_within_bounds(sandbox_factory):
    sb = sandbox_factory(Limits(extract_timeout_s=30, extract_memory_mb=1024, max_text_chars=50_000))
    page = big_page(1200)  # ~270 KB, over the in-process threshold
    assert len(page) > sb.inprocess_max_chars
    started = time.monotonic()
    result = sb.extract(page, None)
    assert time.monotonic() - started < 30
    assert sb.stats["sandboxed"] == 1
    assert len(result.text) <= 50_000 and "truncated_text:50000" in result.notes
    assert PARAGRAPHS[0] in result.text


def test_memory_cap_becomes_an_error_and_the_worker_is_replaced(sandbox_factory):
    sb = sandbox_factory(Limits(extract_memory_mb=400), inprocess_max_chars=0, extractor_factory=HOOKED)
    with pytest.raises(ExtractionError) as info:
        sb.extract(article(inside="<!--ALLOC-->"), None)
    assert info.value.reason == "memory_limit"
    assert PARAGRAPHS[0] in sb.extract(article(), None).text
    assert sb.stats["memory_limit"] == 1


def test_worker_crash_becomes_an_error_and_the_worker_is_replaced(sandbox_factory):
    sb = sandbox_factory(inprocess_max_chars=0, extractor_factory=HOOKED)
    with pytest.raises(ExtractionError) as info:
        sb.extract(article(inside="<!--ABORT-->"), None)
    assert info.value.reason == "worker_crashed" and "-6" in info.value.detail
    assert PARAGRAPHS[0] in sb.extract(article(), None).text


def test_works_from_a_non_main_thread(sandbox_factory):
    # Beam calls DoFns off the main thread: no signals involved anywhere.
    sb = sandbox_factory(Limits(extract_timeout_s=0.5), inprocess_max_chars=0, extractor_factory=HOOKED)
    outcome = {}

    def run():
        try:
            sb.extract(article(inside="<!--SLOW-->"), None)
        except ExtractionError as err:
            outcome["reason"] = err.reason
        outcome["text"] = sb.extract(article(), None).text

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert outcome["reason"] == "timeout" and PARAGRAPHS[0] in outcome["text"]


@pytest.mark.parametrize("bad", ["", "  \n "])
def test_empty_input_raises(sandbox_factory, bad):
    with pytest.raises(ExtractionError) as info:
        sandbox_factory().extract(bad, None)
    assert info.value.reason == "empty"


def test_binary_junk_is_an_error_or_text_never_a_crash(sandbox_factory):
    sb = sandbox_factory(inprocess_max_chars=0)
    junk = bytes(range(256)).decode("latin-1") * 400
    try:
        result = sb.extract(junk, None)
    except ExtractionError as err:
        assert err.stage == "extract"
    else:
        assert isinstance(result.text, str)
    assert PARAGRAPHS[0] in sb.extract(article(), None).text  # the worker survived


def test_pickling_keeps_configuration_only(sandbox_factory):
    sb = sandbox_factory(Limits(extract_timeout_s=7), inprocess_max_chars=0)
    sb.extract(article(), None)
    clone = pickle.loads(pickle.dumps(sb))
    try:
        assert clone.limits.extract_timeout_s == 7 and clone._worker is None
        assert PARAGRAPHS[0] in clone.extract(article(), None).text
        assert clone._worker.proc.pid != sb._worker.proc.pid
    finally:
        clone.close()


def test_close_stops_the_worker_and_the_sandbox_stays_usable(sandbox_factory):
    sb = sandbox_factory(inprocess_max_chars=0)
    sb.extract(article(), None)
    proc = sb._worker.proc
    sb.close()
    assert proc.poll() is not None
    assert PARAGRAPHS[0] in sb.extract(article(), None).text


def test_inside_a_beam_dofn():
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    from apache_beam.testing.util import assert_that, equal_to

    class ExtractFn(beam.DoFn):
        def setup(self):
            self.sandbox = ExtractionSandbox(Limits(extract_timeout_s=0.5), extractor_factory=HOOKED)

        def process(self, page):
            try:
                yield ("ok", PARAGRAPHS[0] in self.sandbox.extract(page, None).text)
            except ExtractionError as err:
                yield ("error", err.reason)

        def teardown(self):
            self.sandbox.close()

    pages = [article(), deep_page(), deep_page().replace("<h1>", "<!--SLOW--><h1>")]
    with beam.Pipeline(runner=FnApiRunner()) as p:
        out = p | "CreatePages" >> beam.Create(pages) | "ExtractPages" >> beam.ParDo(ExtractFn())
        assert_that(out, equal_to([("ok", True), ("ok", True), ("error", "timeout")]))


def test_worker_is_recycled_after_a_very_large_page(sandbox_factory):
    from transforms.extract.sandbox import RECYCLE_AFTER_CHARS
    sb = sandbox_factory(Limits(extract_timeout_s=60, max_text_chars=50_000))
    page = big_page(1200)
    huge = page.replace("</body>", "<!--" + "x" * RECYCLE_AFTER_CHARS + "--></body>")
    sb.extract(page, None)
    assert sb.stats.get("recycled", 0) == 0  # a merely big page keeps its worker
    assert PARAGRAPHS[0] in sb.extract(huge, None).text
    assert sb.stats["recycled"] == 1 and sb._worker is None
    assert PARAGRAPHS[0] in sb.extract(page, None).text  # a fresh worker takes the next page
