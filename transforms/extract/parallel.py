"""Extraction on every core of a local run: batches of documents extracted in worker processes, in order.

Beam's in-process runner runs every DoFn of a run on one core, and its own
multi-process mode (``--direct_num_workers=2 --direct_running_mode=multi_processing``)
measured 168 against 160 docs/s for 3.2x the memory: it copies every element
between processes over gRPC and only spread the extraction stage anyway.
Extraction is the largest share of a run's own work, and each document's is
independent of the others, so ``ExtractionPool`` runs it in ``processes``
worker processes and leaves everything else where it was.

* Workers are started with ``spawn`` (``concurrent.futures.ProcessPoolExecutor``):
  forking a process that runs Beam's threads is unsafe. Each worker builds its
  own ``ExtractionSandbox`` once, so HTML stays bounded in time and memory.
* Documents go in batches of at most ``BATCH_DOCS`` documents or ``BATCH_BYTES``
  raw bytes, and at most ``IN_FLIGHT_PER_PROCESS`` batches per worker are out at
  once: the documents held do not grow with the corpus.
* Results come back in the order the documents were submitted, so what a run
  outputs does not depend on the number of workers.
* A worker that dies (killed, out of memory) breaks the pool: the batches it
  held are extracted again in this process and a fresh pool takes the next ones.
* Documents are extracted in this process until it has spent ``warmup_seconds``
  on them (``WARMUP_SECONDS``): starting a worker (imports included) costs about
  1.5 s of CPU, more than a small run's whole extraction, so a small run never
  starts one. A count of documents (64) was the rule before, and it says nothing
  of how long they take (a text dump ~1.3 ms, an HTML page ~10 ms). Measured on
  2 cores with 2 workers, a whole run: 300 dumps 6.6 s with this warm-up (none
  started), 6.9 s with none (7.2 s with the 64 documents); 1,500 dumps 10.2 s
  with it, 9.8 s with none, 11.3 s without workers. Most scheduled runs are small.
* Workers stop once nothing has been sent to them for ``IDLE_SECONDS`` after a
  bundle: the runner keeps the DoFn (and its pool) until the whole run ends, and
  two idle workers (~300 MB each) were half the process tree's memory through
  every stage after extraction (1.2 GB at 30k documents). A later bundle starts
  fresh ones.
* A worker exits once the process that started it is gone (``_exit_with_parent``):
  a run killed outright cleans nothing up, and its workers waited for work forever.

* With ``in_process``, no worker is started and every batch is extracted (and presigned) in this process:
  a 1-worker run's articles are then made as the workers make them, each text tokenised once for its
  content hash, signature and paragraph index, where ``SignArticles`` and ``DropSiteBoilerplate``
  tokenised it again in their own stages.

* Given a ``signer``, the workers also sign what they extract
  (``transforms.dedup.features.presign``: signature, shingle count, anchors,
  role sketch and event terms), per-document work that otherwise waits for
  ``SignArticles`` in the runner's one process. Those modules import neither
  Beam nor datasketch (``presign``'s docstring has what the event terms cost). The
  same tokens give each article its ``paragraph_index`` for ``DropSiteBoilerplate``.

Public: ``Outcome``, ``extract_outcome``, ``extract_outcomes``, ``presign_outcomes``, ``ExtractionPool``.
"""
from __future__ import annotations

import collections
import ctypes
import itertools
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Deque, Iterator, List, Optional, Tuple

from transforms.dedup.events import load_language
from transforms.dedup.features import presign
from transforms.dedup.shingles import MinHasher
from transforms.extract.document import article_record, extract_document
from transforms.extract.language import load_identifier
from transforms.extract.paragraphs import PARAGRAPH_INDEX, line_words, paragraph_index
from transforms.extract.sandbox import ExtractionSandbox
from transforms.model import ExtractionError, Limits, RawDocument

__all__ = ["Outcome", "extract_outcome", "extract_outcomes", "presign_outcomes", "ExtractionPool", "BATCH_DOCS",
           "BATCH_BYTES", "WARMUP_SECONDS"]

_LOG = logging.getLogger(__name__)

#: Documents per batch sent to a worker: enough to make the pickling round trip small beside the work.
BATCH_DOCS = 32
#: Raw bytes per batch, so a run of large pages does not pile up in flight.
BATCH_BYTES = 4 << 20
#: Seconds of extraction in this process before the workers are started.
WARMUP_SECONDS = 0.75
#: Batches out per worker: one being extracted, one waiting, so a worker never idles on the parent.
IN_FLIGHT_PER_PROCESS = 2
#: Seconds without a new document, after a bundle, before the workers stop (a stage's bundles follow each
#: other within milliseconds).
IDLE_SECONDS = 2.0

#: ``("ok", record)``, ``("error", stage, reason, detail)`` or ``("crash", repr of the exception)``:
#: plain tuples, because an exception does not always survive pickling.
Outcome = Tuple[Any, ...]


def extract_outcome(doc: RawDocument, limits: Limits, sandbox: Optional[ExtractionSandbox],
                    boilerplate: frozenset) -> Outcome:
    """Extract one document into an article record, or say why not, without raising."""
    return _extracted(doc, limits, sandbox, boilerplate, False)[0]


def _extracted(doc: RawDocument, limits: Limits, sandbox: Optional[ExtractionSandbox], boilerplate: frozenset,
               tokenise: bool) -> Tuple[Outcome, Optional[list]]:
    """``(extract_outcome, the article's line_words when tokenise and it has one, else None)``: the content
    hash is then made from those words, which presigning reads too (``content_hash`` tokenised the whole text
    again: ~70 us of a 2 KB dump, of its ~1.7 ms extracted and presigned)."""
    try:
        ext = extract_document(doc, limits, sandbox=sandbox, boilerplate=boilerplate)
        if not tokenise:
            return ("ok", article_record(doc, ext)), None
        lines = line_words(ext.text)
        return ("ok", article_record(doc, ext, itertools.chain.from_iterable(lines))), lines
    except ExtractionError as exc:
        return ("error", exc.stage, exc.reason, exc.detail), None
    except Exception as exc:  # noqa: BLE001 - a library bug on one page must not sink the run
        _LOG.warning("extraction crashed on %s: %r", doc.source, exc)
        return ("crash", repr(exc)), None


def extract_outcomes(items: List[Tuple[RawDocument, frozenset]], limits: Limits,
                     sandbox: Optional[ExtractionSandbox], signer: Optional[MinHasher]) -> List[Outcome]:
    """``extract_outcome`` of each ``(document, boilerplate)``, and with a ``signer`` each article presigned
    (``presign_outcomes``), its text tokenised once for its content hash, signature and paragraph index."""
    if signer is None:
        return [extract_outcome(doc, limits, sandbox, boilerplate) for doc, boilerplate in items]
    extracted = [_extracted(doc, limits, sandbox, boilerplate, True) for doc, boilerplate in items]
    return presign_outcomes([outcome for outcome, _ in extracted], signer,
                            [lines for outcome, lines in extracted if outcome[0] == "ok"])


def presign_outcomes(outcomes: List[Outcome], signer: MinHasher, lines: List[list]) -> List[Outcome]:
    """The outcomes, each article presigned (``transforms.dedup.features.presign``) in one batch and
    given its ``paragraph_index`` (``PARAGRAPH_INDEX``), both from one tokenisation of its lines:
    ``lines``, each article's ``line_words`` in order (``extract_outcomes`` hashed it from them too)."""
    articles = [o[1] for o in outcomes if o[0] == "ok"]
    signed = presign(articles, signer, [[ws for ws in ls if ws] for ls in lines])
    for article, ls in zip(signed, lines):
        # DropSiteBoilerplate's index of the text as extracted; it tokenised every paragraph again in the
        # runner's one process (~1.5 s at 10k documents, while the workers extracted).
        article[PARAGRAPH_INDEX] = paragraph_index(article, ls)
    signed = iter(signed)
    return [("ok", next(signed)) if o[0] == "ok" else o for o in outcomes]


# -- in each worker process
_worker_limits: Limits = Limits()
_worker_sandbox: Optional[ExtractionSandbox] = None
_worker_signer: Optional[MinHasher] = None


#: glibc's ``M_MMAP_THRESHOLD``: blocks at least this large are mapped on their own and go back to the system
#: when freed. Left to itself, glibc raises the threshold to the size of each mapped block freed (up to 32 MB),
#: and blocks that size then come from the heap and stay with the process: a worker that had extracted every
#: file hazard of ``make soak`` (a 190 KB regex trap, an 8 MB single line ...) held 191 MB, 163 MB with the
#: threshold fixed at 128 KB (glibc's starting point), at the same throughput.
_MMAP_THRESHOLD = (-3, 128 * 1024)


def _fix_mmap_threshold() -> None:
    try:
        ctypes.CDLL(None).mallopt(*_MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc (macOS, musl): another allocator, left alone
        pass


#: How often a worker looks whether the process that started it is still there (``_exit_with_parent``).
PARENT_CHECK_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    """A worker's watch, on a thread of its own: once the run that started it is gone, the worker goes too.

    A run killed outright (SIGKILL, the OOM killer, or a scheduler's SIGTERM, on which Python exits without
    any clean-up) never shuts its pool down, and each worker holds both ends of its task queue, so it never
    reads an end of file: it waits for work forever. Two workers of a killed run (~200 MB each) were still
    there half an hour later; a run scheduled every few minutes for months would pile them up. Its sandbox
    child reads its requests from a pipe only the worker holds, so it ends with it.
    """
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def _start_worker(limits: Limits, use_sandbox: bool, signer: Optional[MinHasher], parent: int) -> None:
    global _worker_limits, _worker_sandbox, _worker_signer
    # ``parent``: the pid of the process that started this worker, as it gave it. A run killed while its workers
    # still import is gone before this runs, and ``os.getppid()`` is then already the process that adopted
    # them: watching that one, they waited for work forever.
    threading.Thread(target=_exit_with_parent, args=(parent,), name="storywire-parent-watch",
                     daemon=True).start()
    _fix_mmap_threshold()
    _worker_limits = limits
    _worker_sandbox = ExtractionSandbox(limits) if use_sandbox else None
    load_identifier()
    _worker_signer = signer


def _extract_batch(items: List[Tuple[RawDocument, frozenset]]) -> List[Outcome]:
    return extract_outcomes(items, _worker_limits, _worker_sandbox, _worker_signer)


class ExtractionPool:
    """Extracts documents in worker processes; yields ``(tag, outcome)`` in submission order.

    Args:
        processes: Worker processes (at least 1).
        limits: Per-document limits.
        use_sandbox: Whether the workers bound HTML extraction with an ``ExtractionSandbox``.
        signer: When given, the articles are also presigned with it (what ``SignArticles``
            computes), in the workers or, for those extracted here, in this process.
        warmup_seconds: Extraction time spent in this process before the workers are started
            (``WARMUP_SECONDS`` when None; 0 starts them with the first batch).
        in_process: Every batch extracted in this process, in order, and no worker ever started.
    """

    def __init__(self, processes: int, limits: Limits, use_sandbox: bool = True,
                 signer: Optional[MinHasher] = None, warmup_seconds: Optional[float] = None,
                 in_process: bool = False):
        if processes < 1:
            raise ValueError(f"processes must be >= 1, not {processes}")
        self._processes = processes
        self._in_process = in_process
        self._limits = limits
        self._use_sandbox = use_sandbox
        self._signer = signer
        self._executor: Optional[ProcessPoolExecutor] = None
        self._local_sandbox: Optional[ExtractionSandbox] = None
        self._items: List[Tuple[RawDocument, frozenset]] = []
        self._tags: List[Any] = []
        self._bytes = 0
        self._in_flight: Deque[tuple] = collections.deque()
        # In this process a batch costs what its documents do one by one, less the per-call overheads.
        self._warmup_left = 0 if in_process else WARMUP_SECONDS if warmup_seconds is None else warmup_seconds
        # Guards the executor against the idle timer's thread.
        self._lock = threading.Lock()
        self._idle_timer: Optional[threading.Timer] = None
        #: Batches extracted again in this process after a worker died.
        self.recovered_batches = 0
        #: Times the workers were stopped for being idle.
        self.idle_stops = 0

    def submit(self, doc: RawDocument, boilerplate: frozenset, tag: Any) -> Iterator[Tuple[Any, Outcome]]:
        """Queue ``doc``; yields the outcomes that must be taken now to keep memory bounded."""
        self._disarm()
        if self._warmup_left > 0:
            self._prepare_here()  # once per pool, whatever the warm-up: not part of what it measures
            started = time.perf_counter()
            outcome = self._extract_here([(doc, boilerplate)])[0]
            self._warmup_left -= time.perf_counter() - started
            yield tag, outcome
            return
        self._items.append((doc, boilerplate))
        self._tags.append(tag)
        self._bytes += len(doc.raw or b"")
        if len(self._items) >= BATCH_DOCS or self._bytes >= BATCH_BYTES:
            self._send()
        # A batch extracted here is done: nothing is gained by holding it.
        while len(self._in_flight) > (0 if self._in_process else self._processes * IN_FLIGHT_PER_PROCESS):
            yield from self._receive()

    def drain(self) -> Iterator[Tuple[Any, Outcome]]:
        """Every outcome still out, in order (at the end of a bundle)."""
        if self._items:
            self._send()
        while self._in_flight:
            yield from self._receive()
        self._arm()

    def close(self) -> None:
        self._disarm()
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
        if self._local_sandbox is not None:
            self._local_sandbox.close()
            self._local_sandbox = None

    def _arm(self) -> None:
        if self._executor is not None and self._idle_timer is None:
            self._idle_timer = threading.Timer(IDLE_SECONDS, self._stop_idle)
            self._idle_timer.daemon = True
            self._idle_timer.start()

    def _disarm(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _stop_idle(self) -> None:
        with self._lock:
            # Nothing is out between bundles; a bundle that started meanwhile has disarmed this timer.
            if self._executor is not None and not self._in_flight and not self._items and self._idle_timer is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
                self.idle_stops += 1

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self._processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self._limits, self._use_sandbox, self._signer, os.getpid()))
        return self._executor

    def _send(self) -> None:
        items, tags = self._items, self._tags
        self._items, self._tags, self._bytes = [], [], 0
        if self._in_process:
            done: Future = Future()
            done.set_result(self._extract_here(items))
            self._in_flight.append((items, tags, done))
            return
        try:
            with self._lock:
                future = self._pool().submit(_extract_batch, items)
        except BrokenProcessPool:
            self._executor = None  # the next batch gets a fresh pool
            future = None
        self._in_flight.append((items, tags, future))

    def _receive(self) -> Iterator[Tuple[Any, Outcome]]:
        items, tags, future = self._in_flight.popleft()
        try:
            if future is None:
                raise BrokenProcessPool("pool was broken when the batch was sent")
            outcomes = future.result()
        except BrokenProcessPool as exc:
            _LOG.warning("an extraction worker died (%s): extracting its %d documents in this process",
                         exc, len(items))
            self.recovered_batches += 1
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            outcomes = self._extract_here(items)
        yield from zip(tags, outcomes)

    def _prepare_here(self) -> None:
        """What extracting (and signing) in this process needs first: the sandbox, the default language's lists."""
        if self._use_sandbox and self._local_sandbox is None:
            self._local_sandbox = ExtractionSandbox(self._limits)
        if self._signer is not None:
            load_language(None)

    def _extract_here(self, items) -> List[Outcome]:
        self._prepare_here()
        # Signed now, like the workers' batches: left for SignArticles, they waited for every article.
        return extract_outcomes(items, self._limits, self._local_sandbox, self._signer)
