"""``ExtractionPool`` and ``ExtractArticles`` with worker processes: same records, same order, as in-process."""
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from tests.bench.corpus import generate
from transforms.dedup.features import SIGNED_TEXT, complete_signatures, sign_articles
from transforms.dedup.records import Member
from transforms.dedup.sign import SignArticles
from transforms.dedup.signing import MinHashConfig, Signer
from transforms.extract import parallel
from transforms.extract.articles import ExtractArticles
from transforms.extract.paragraphs import PARAGRAPH_INDEX, line_words, paragraph_index
from transforms.extract.parallel import ExtractionPool, extract_outcome
from transforms.model import Limits, RawDocument

LIMITS = Limits()
CFG = MinHashConfig()

@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    generate(root, 90, seed=3)
    made = [RawDocument(source=str(p), raw=p.read_bytes()) for p in sorted((root / "docs").iterdir())]
    # Refusals travel through the pool too: an empty file and one too short to be an article.
    return made + [RawDocument(source="empty.txt", raw=b""), RawDocument(source="short.txt", raw=b"three words only")]

@pytest.fixture
def small_batches(monkeypatch):
    # Several batches in flight from the first document, so order and recovery are exercised.
    monkeypatch.setattr(parallel, "WARMUP_SECONDS", 0)
    monkeypatch.setattr(parallel, "BATCH_DOCS", 8)

def _through(pool, docs):
    out = []
    for i, doc in enumerate(docs):
        out.extend(pool.submit(doc, frozenset(), i))
    out.extend(pool.drain())
    return out

def test_pool_returns_in_process_outcomes_in_submission_order(docs, small_batches):
    expected = [(i, extract_outcome(d, LIMITS, None, frozenset())) for i, d in enumerate(docs)]
    pool = ExtractionPool(2, LIMITS, use_sandbox=False)
    try:
        got = _through(pool, docs)
    finally:
        pool.close()
    assert got == expected
    assert {o[0] for _, o in got} == {"ok", "error"} and pool.recovered_batches == 0

def test_an_in_process_pool_presigns_in_batches_here_and_starts_no_worker(docs, monkeypatch):
    # A 1-worker run: the articles made as a worker makes them, in submission order, every batch in this process
    # (with the default warm-up, which it has no use for: it would extract one by one).
    monkeypatch.setattr(parallel, "BATCH_DOCS", 8)
    signer = Signer(CFG).hasher()
    expected = [(i, o) for i, o in enumerate(parallel.extract_outcomes([(d, frozenset()) for d in docs], LIMITS,
                                                                        None, signer))]
    pool = ExtractionPool(1, LIMITS, use_sandbox=False, signer=signer, in_process=True)
    batches = []
    real = pool._extract_here
    pool._extract_here = lambda items: batches.append(len(items)) or real(items)
    try:
        # A batch extracted here leaves as soon as it is full, not when later ones are.
        first = [out for i, doc in enumerate(docs[:8]) for out in pool.submit(doc, frozenset(), i)]
        assert [i for i, _ in first] == list(range(8))
        got = first + [(i + 8, o) for i, o in _through(pool, docs[8:])]
        assert pool._executor is None and not multiprocessing.active_children()
    finally:
        pool.close()
    assert got == expected
    assert all(SIGNED_TEXT in o[1] and PARAGRAPH_INDEX in o[1] for _, o in got if o[0] == "ok")
    assert sum(batches) == len(docs) and max(batches) == parallel.BATCH_DOCS  # in batches, not one by one


def test_batches_of_a_killed_worker_are_extracted_here(docs, small_batches):
    expected = [(i, extract_outcome(d, LIMITS, None, frozenset())) for i, d in enumerate(docs)]
    pool = ExtractionPool(2, LIMITS, use_sandbox=False)
    try:
        head = _through(pool, docs[:16])
        for pid in list(pool._executor._processes):
            os.kill(pid, signal.SIGKILL)
        tail = [(i + 16, o) for i, o in _through(pool, docs[16:])]
    finally:
        pool.close()
    assert head + tail == expected
    assert pool.recovered_batches >= 1

def test_idle_workers_stop_and_a_later_bundle_starts_fresh_ones(docs, small_batches, monkeypatch):
    monkeypatch.setattr(parallel, "IDLE_SECONDS", 0.05)
    expected = [(i, extract_outcome(d, LIMITS, None, frozenset())) for i, d in enumerate(docs)]
    pool = ExtractionPool(1, LIMITS, use_sandbox=False)
    try:
        head = _through(pool, docs[:16])  # one bundle, drained
        workers = list(pool._executor._processes.values())
        deadline = time.monotonic() + 30
        while pool.idle_stops == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # the idle timer runs on its own thread
        assert pool.idle_stops == 1 and pool._executor is None
        assert workers and not any(w.is_alive() for w in workers)
        tail = [(i + 16, o) for i, o in _through(pool, docs[16:])]  # the next bundle, on a fresh worker
    finally:
        pool.close()
    # Without a warm-up every batch goes to a worker; none was extracted here after a failure.
    assert head + tail == expected and pool.recovered_batches == 0


def test_a_pool_extracts_here_until_its_warm_up_time_is_spent(docs, monkeypatch):
    monkeypatch.setattr(parallel, "BATCH_DOCS", 8)
    expected = [(i, extract_outcome(d, LIMITS, None, frozenset())) for i, d in enumerate(docs)]
    # A small run: its whole extraction takes less than the warm-up, so no worker is started.
    pool = ExtractionPool(2, LIMITS, use_sandbox=False, warmup_seconds=60.0)
    try:
        assert _through(pool, docs) == expected and pool._executor is None
    finally:
        pool.close()
    # A warm-up shorter than a document's extraction: the first document here, the rest in workers.
    pool = ExtractionPool(2, LIMITS, use_sandbox=False, warmup_seconds=1e-9)
    try:
        first = list(pool.submit(docs[0], frozenset(), 0))
        assert first == expected[:1] and pool._executor is None
        rest = _through(pool, docs[1:])
        assert pool._executor is not None
    finally:
        pool.close()
    assert first + [(i + 1, o) for i, o in rest] == expected


def test_pool_needs_a_process():
    with pytest.raises(ValueError):
        ExtractionPool(0, LIMITS)

def test_extract_articles_gives_the_same_records_with_two_processes(docs, small_batches):

    expected = [o[1] for d in docs for o in [extract_outcome(d, LIMITS, None, frozenset())] if o[0] == "ok"]
    reasons = sorted(o[2] for d in docs for o in [extract_outcome(d, LIMITS, None, frozenset())] if o[0] == "error")
    with local_pipeline() as p:
        out = p | "CreateDocuments" >> beam.Create(docs) | "ExtractArticles" >> ExtractArticles(LIMITS, processes=2)
        assert_that(out.articles, equal_to(expected), label="CheckArticles")
        assert_that(out.errors | "Reasons" >> beam.Map(lambda e: e["reason"]), equal_to(reasons),
                    label="CheckErrors")


def test_presigning_workers_give_the_records_signed_in_process(docs, small_batches):
    here = [extract_outcome(d, LIMITS, None, frozenset()) for d in docs]
    pool = ExtractionPool(2, LIMITS, use_sandbox=False, signer=Signer(CFG).hasher())
    try:
        got = [o for _, o in _through(pool, docs)]
    finally:
        pool.close()
    assert [o for o in got if o[0] != "ok"] == [o for o in here if o[0] != "ok"]
    presigned = [o[1] for o in got if o[0] == "ok"]
    # Each with DropSiteBoilerplate's paragraph index, the one it would make of the text itself ...
    indexes = [a.pop(PARAGRAPH_INDEX) for a in presigned]
    assert indexes == [paragraph_index(a) for a in presigned]
    assert all(any(keys) for keys, _, _ in indexes)
    # ... signed in the workers (marked), and nothing is left for SignArticles to do (no signer given).
    assert all(SIGNED_TEXT in a for a in presigned)
    assert complete_signatures(presigned, None) == sign_articles([o[1] for o in here if o[0] == "ok"], Signer(CFG))


def test_extracting_to_presign_tokenises_once_and_gives_the_records_of_extracting_then_presigning(docs):
    # The content hash is made from the words presigning reads (each line's): the same ids and hashes as from
    # the text, on the corpus and on a text whose lines start and end in characters NFKC and case folding change.
    text = "İstanbul’s ﬁnal budget vote\n\n\u0301Ａnd then " + "the council met again, " * 20 + "\nSTRASSE ① ǰ\n"
    odd = RawDocument(source="odd.txt", raw=text.encode())
    items = [(d, frozenset()) for d in docs + [odd]]
    signer = Signer(CFG).hasher()
    outcomes = [extract_outcome(d, LIMITS, None, b) for d, b in items]
    expected = parallel.presign_outcomes(outcomes, signer, [line_words(o[1]["text"]) for o in outcomes if o[0] == "ok"])
    got = parallel.extract_outcomes(items, LIMITS, None, signer)
    assert got == expected
    assert got[-1][0] == "ok" and {o[0] for o in got} == {"ok", "error"}
    # Without a signer nothing is presigned: the records extract_outcome gives.
    here = [extract_outcome(d, LIMITS, None, b) for d, b in items]
    assert parallel.extract_outcomes(items, LIMITS, None, None) == here


@pytest.mark.parametrize("processes", [1, 2])
def test_extract_and_sign_give_the_same_members_with_presigning_workers(docs, small_batches, processes):
    # With one process the articles are presigned too, in the DoFn's own process (they leave it signed).
    signed = sign_articles([o[1] for d in docs for o in [extract_outcome(d, LIMITS, None, frozenset())]
                            if o[0] == "ok"], Signer(CFG))
    expected = [Member.from_article(a, role_sketch=a["role_sketch"]) for a in signed]
    with local_pipeline() as p:
        out = (p | "CreateDocuments" >> beam.Create(docs)
               | "ExtractArticles" >> ExtractArticles(LIMITS, processes=processes, signing=CFG))
        assert_that(out.articles | "Presigned" >> beam.Map(lambda a: SIGNED_TEXT in a and PARAGRAPH_INDEX in a),
                    equal_to([True] * len(expected)), label="CheckPresigned")
        assert_that((out.articles | "SignArticles" >> SignArticles(CFG)).slim, equal_to(expected))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator: the threshold is Linux's")
def test_a_worker_gives_large_freed_blocks_back_to_the_system():
    # glibc raised its mmap threshold to each large block freed, so the next block that size came from the heap
    # and stayed there: hazard pages left a worker's heap large for the rest of the run.
    code = """
import os, sys
from transforms.extract.parallel import _start_worker
from transforms.model import Limits
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
_start_worker(Limits(), False, None, os.getppid())
block = b"x" * (16 << 20); del block  # mapped on its own; glibc's default then raises the threshold past it
before = rss_mb()
block = b"y" * (16 << 20); del block
print(rss_mb() - before)
sys.exit(0 if rss_mb() - before < 4 else 1)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process still running (a zombie nobody has reaped yet has exited)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc (Linux)")
@pytest.mark.parametrize("wait", [True, False], ids=["killed-after-they-answered", "killed-while-they-import"])
def test_the_workers_of_a_run_killed_outright_exit(wait):
    # A killed run cleans nothing up: its workers must see it is gone. Before, they waited for work forever;
    # and workers still importing when the run was killed (the moments after they are started) then
    # watched the process that had adopted them, and waited forever too.
    script = (
        "import sys\n"
        "from transforms.extract import parallel\n"
        "from transforms.model import Limits, RawDocument\n"
        "pool = parallel.ExtractionPool(2, Limits(), use_sandbox=False, warmup_seconds=0)\n"
        "doc = RawDocument(source='a.txt', raw=b'A sentence of plain words. ' * 40)\n"
        # Two batches out (one per worker), well within what the pool sends before it waits for any.
        "for i in range(2 * parallel.BATCH_DOCS): list(pool.submit(doc, frozenset(), i))\n"
        + ("list(pool.drain())\n" if wait else "") +
        "print(' '.join(map(str, pool._executor._processes)), flush=True)\n"
        "sys.stdin.read()\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.Popen([sys.executable, "-c", script], cwd=root, env=env, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in run.stdout.readline().split()]
        assert workers and all(_running(pid) for pid in workers)
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling for the workers' exit, bounded: they check every PARENT_CHECK_SECONDS
    left = [pid for pid in workers if _running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # not left behind by a failing test either
    assert not left
