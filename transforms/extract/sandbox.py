"""Bounded time and memory for HTML extraction, safe inside Beam workers.

trafilatura has no timeout of its own and a signal alarm only works on the main
thread (Beam runs DoFns elsewhere), so a pathological page is bounded the only way
that always works: it runs in a separate worker process that the parent kills.

* **Fast path.** A page that the pre-check finds small (``inprocess_max_chars``) and
  shallow (``htmlextract.quick_depth`` within ``Limits.max_html_depth``) with few
  elements (``inprocess_max_elements``) is extracted
  in-process: no IPC, no copy; the sandbox costs such a page one tag scan, about
  1 ms per 100 KB (``make bench-extract`` measures it on the evaluation set).
* **Sandboxed path.** Anything bigger, deeper, or when ``inprocess_max_chars=0``, goes
  to a persistent worker: ``python -m transforms.extract.sandbox`` started with
  ``subprocess`` (no fork of a threaded Beam process, no ``multiprocessing``
  main-module re-import), speaking length-prefixed JSON over its stdin/stdout. The
  worker caps its own address space with ``resource.setrlimit(RLIMIT_AS)``
  (``Limits.extract_memory_mb``); the parent waits with ``select`` against a
  deadline (``Limits.extract_timeout_s``), kills the worker on timeout, and starts a
  fresh one on the next call.

Failures raise ``ExtractionError("extract", reason, detail)`` with reason
``timeout``, ``memory_limit`` or ``worker_crashed`` (plus the extractor's own
``empty``/``unparseable``); the sandbox itself never needs restarting by the caller.

Trade-off, measured and accepted: the fast path has no hard timeout, so it takes only
pages that cannot be slow. Size alone bounded nothing: trafilatura's time grows with
the number of elements, and 199 000 characters of 190-deep ``<div>``s (16 000
elements, under both the size and the depth cut-offs) took 4 s in-process. So a
fast-path page is at most ``inprocess_max_chars`` (default 200 000 characters), at
most ``Limits.max_html_depth`` deep and opens at most ``inprocess_max_elements``
(default 1 500) elements; everything else goes to the killable worker. Stated limit,
checked by ``tests/extract/test_hazards.py`` on the corner shapes (1 500 elements
flat, 10 deep and 190 deep, with up to 170 000 characters of text): no fast-path page
takes more than 8x a flat 200 000-character text page (measured: at most 4.5x, 0.37 s
on two shared cores; a typical news page takes 5-30 ms). Set ``inprocess_max_chars``
to 0 to send every page to the worker, which costs about 1 ms a page more
(``make bench-extract``).

Usage in a DoFn::

    def setup(self):
        self._sandbox = ExtractionSandbox(self._limits)

    def teardown(self):
        self._sandbox.close()

Public: ``ExtractionSandbox``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
import weakref
from typing import Optional

from transforms.extract.html import element_start, quick_depth
from transforms.model import Extracted, ExtractionError, Limits

__all__ = ["ExtractionSandbox"]

logger = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
_MAX_FRAME = 512 * 1024 * 1024
_STARTUP_TIMEOUT_S = 60.0
DEFAULT_FACTORY = "transforms.extract.html:HtmlExtractor"
#: Elements (opening tags) a page may have for the in-process fast path (see the module docstring).
INPROCESS_MAX_ELEMENTS = 1_500


# ---------------------------------------------------------------------------- framing

def _write_frame(fd: int, payload: dict) -> None:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    buf = memoryview(_HEADER.pack(len(data)) + data)
    while buf:
        written = os.write(fd, buf)
        buf = buf[written:]


def _read_exact(fd: int, n: int, deadline: Optional[float]) -> Optional[bytes]:
    """Read ``n`` bytes; None on EOF. Raises TimeoutError past ``deadline`` (monotonic)."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: Optional[float] = None) -> Optional[dict]:
    head = _read_exact(fd, _HEADER.size, deadline)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > _MAX_FRAME:
        raise ValueError(f"frame of {size} bytes")
    body = _read_exact(fd, size, deadline)
    if body is None:
        return None
    return json.loads(body.decode("utf-8", "surrogatepass"))


def _to_wire(result: Extracted) -> dict:
    out = {f: getattr(result, f) for f in ("text", "title", "byline", "site", "language", "url", "description",
                                          "credited_source", "extractor")}
    out["published"] = result.published.isoformat() if result.published else None
    out["notes"] = list(result.notes)
    return out


def _from_wire(data: dict) -> Extracted:
    published = dt.datetime.fromisoformat(data["published"]) if data.get("published") else None
    fields = {k: data.get(k) for k in ("title", "byline", "site", "language", "url", "description", "credited_source")}
    return Extracted(text=data.get("text") or "", published=published, extractor=data.get("extractor") or "unknown",
                     notes=tuple(data.get("notes") or ()), **fields)


def _limits_to_dict(limits: Limits) -> dict:
    return dataclasses.asdict(limits)


def _load_factory(spec: str):
    """``"package.module:callable"`` -> the callable (builds the extractor object)."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"extractor factory must look like 'module:callable', not {spec!r}")
    return getattr(importlib.import_module(module), name)


# ---------------------------------------------------------------------------- the parent side

class _Worker:
    """One running worker process and its pipes."""

    def __init__(self, limits: Limits, factory: str):
        pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["STORYWIRE_SANDBOX_CONFIG"] = json.dumps({"limits": _limits_to_dict(limits), "factory": factory})
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "transforms.extract.sandbox"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, env=env, close_fds=True,
            )
        except OSError as err:
            raise ExtractionError("extract", "worker_crashed", f"cannot start worker: {err}") from err
        self._finalizer = weakref.finalize(self, _kill, self.proc)
        try:
            hello = _read_frame(self.proc.stdout.fileno(), time.monotonic() + _STARTUP_TIMEOUT_S)
        except TimeoutError:
            hello = None
        if not hello or not hello.get("ready"):
            self.kill()
            raise ExtractionError("extract", "worker_crashed", f"worker did not start: {hello!r}"[:300])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, html: str, url: Optional[str], timeout_s: float) -> dict:
        _write_frame(self.proc.stdin.fileno(), {"html": html, "url": url})
        return _read_frame(self.proc.stdout.fileno(), time.monotonic() + timeout_s)

    def kill(self) -> None:
        self._finalizer()

    def close(self, grace_s: float = 2.0) -> None:
        """Ask the worker to exit (EOF on its stdin), then kill it if it does not."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=grace_s)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - the kernel reaps a SIGKILLed child promptly
        logger.warning("extraction worker %s did not exit after SIGKILL", proc.pid)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


class ExtractionSandbox:
    """HTML extraction with a hard time limit and memory cap; see the module docstring.

    Args:
        limits: Per-document limits (``extract_timeout_s``, ``extract_memory_mb``,
            ``max_html_depth`` and the extractor's field and text caps).
        inprocess_max_chars: Pages up to this size that pass the depth pre-check are
            extracted in-process; 0 sends every page to the worker.
        inprocess_max_elements: ...and that open at most this many elements.
        extractor_factory: ``"module:callable"`` building the extractor (an object with
            ``extract(html, url, limits) -> Extracted``), used on both paths. The
            default is ``transforms.extract.html:HtmlExtractor``; tests inject slow or
            crashing extractors through it.

    The worker process starts on first use, so constructing a sandbox is cheap and
    it can be created in ``DoFn.setup()``. Pickling keeps only the configuration.
    """

    def __init__(self, limits: Limits = Limits(), inprocess_max_chars: int = 200_000,
                 extractor_factory: str = DEFAULT_FACTORY, inprocess_max_elements: int = INPROCESS_MAX_ELEMENTS):
        if inprocess_max_chars < 0 or inprocess_max_elements < 0:
            raise ValueError("inprocess_max_chars and inprocess_max_elements must be >= 0")
        if limits.extract_timeout_s <= 0:
            raise ValueError("Limits.extract_timeout_s must be > 0")
        if ":" not in extractor_factory:
            raise ValueError(f"extractor_factory must look like 'module:callable', not {extractor_factory!r}")
        self.limits = limits
        self.inprocess_max_chars = inprocess_max_chars
        self.inprocess_max_elements = inprocess_max_elements
        self.extractor_factory = extractor_factory
        self.stats = {"inprocess": 0, "sandboxed": 0, "timeouts": 0, "memory_limit": 0, "crashes": 0, "restarts": 0}
        self._local = None
        self._worker: Optional[_Worker] = None
        self._lock = threading.Lock()

    # -- pickling: configuration only (a DoFn must not carry a process handle)
    def __getstate__(self) -> dict:
        return {"limits": self.limits, "inprocess_max_chars": self.inprocess_max_chars,
                "inprocess_max_elements": self.inprocess_max_elements,
                "extractor_factory": self.extractor_factory}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def __enter__(self) -> "ExtractionSandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def routes_inprocess(self, html: str) -> bool:
        """The pre-check: True when ``html`` is small and shallow enough for the fast path."""

        if not html or len(html) > self.inprocess_max_chars:
            return False
        # Size alone does not bound the time: trafilatura's cost grows with the number of
        # elements (199k characters of 190-deep <div>s, 16k elements, took 4 s in-process).
        if element_start(html, self.inprocess_max_elements) is not None:
            return False
        return quick_depth(html, stop_at=self.limits.max_html_depth) <= self.limits.max_html_depth

    def extract(self, html: str, url: Optional[str] = None) -> Extracted:
        """Extract one page within the limits.

        Raises:
            ExtractionError: ``timeout``, ``memory_limit``, ``worker_crashed``, or the
                extractor's own refusal (``empty``, ``unparseable``, ...).
        """
        if not html or not html.strip():
            raise ExtractionError("extract", "empty", "no HTML")
        if self.routes_inprocess(html):
            self.stats["inprocess"] += 1
            if self._local is None:
                self._local = _load_factory(self.extractor_factory)()
            try:
                return self._local.extract(html, url, self.limits)
            except ExtractionError:
                raise
            except RecursionError as err:
                raise ExtractionError("extract", "too_deep", str(err)[:200]) from err
            except MemoryError as err:
                raise ExtractionError("extract", "memory_limit", "in-process extraction") from err
            except Exception as err:  # noqa: BLE001 - same contract as the worker: a value, not a crash
                raise ExtractionError("extract", "extractor_error", f"{type(err).__name__}: {err}"[:300]) from err
        self.stats["sandboxed"] += 1
        with self._lock:
            return self._extract_in_worker(html, url)

    def _ensure_worker(self) -> _Worker:
        if self._worker is None or not self._worker.alive():
            if self._worker is not None:
                self.stats["restarts"] += 1
                self._worker.kill()
            self._worker = _Worker(self.limits, self.extractor_factory)
        return self._worker

    def _extract_in_worker(self, html: str, url: Optional[str]) -> Extracted:
        for attempt in (1, 2):
            worker = self._ensure_worker()
            started = time.monotonic()
            try:
                reply = worker.call(html, url, self.limits.extract_timeout_s)
            except TimeoutError:
                worker.kill()
                self.stats["timeouts"] += 1
                raise ExtractionError("extract", "timeout",
                                      f"killed after {time.monotonic() - started:.1f}s "
                                      f"(limit {self.limits.extract_timeout_s}s, {len(html)} chars)")
            except (BrokenPipeError, ConnectionResetError) as err:
                # The worker died between calls (e.g. it exited after a MemoryError): once more.
                worker.kill()
                if attempt == 1:
                    continue
                self.stats["crashes"] += 1
                raise ExtractionError("extract", "worker_crashed", f"pipe closed: {err}") from err
            except (OSError, ValueError) as err:
                # A garbled frame or a broken pipe mid-reply: the worker cannot be trusted.
                worker.kill()
                self.stats["crashes"] += 1
                raise ExtractionError("extract", "worker_crashed", f"{type(err).__name__}: {err}"[:300]) from err
            if reply is None:
                try:
                    worker.proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass  # closed its stdout but still running: killed below
                worker.kill()
                code = worker.proc.returncode
                self.stats["crashes"] += 1
                raise ExtractionError("extract", "worker_crashed", _describe_exit(code, len(html), self.limits))
            if reply.get("ok"):
                if len(html) > RECYCLE_AFTER_CHARS:
                    # CPython keeps the heap a huge page grew (measured ~290 MB after a 5 MB page):
                    # a fresh worker gives it back instead of holding it for the rest of the run.
                    worker.close(grace_s=1.0)
                    self._worker = None
                    self.stats["recycled"] = self.stats.get("recycled", 0) + 1
                return _from_wire(reply["result"])
            if reply.get("reason") == "memory_limit":
                self.stats["memory_limit"] += 1
                worker.close(grace_s=1.0)  # the worker exits after a MemoryError anyway
            raise ExtractionError(reply.get("stage") or "extract", reply.get("reason") or "worker_error",
                                  reply.get("detail") or "")
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Stop the worker process (if any). The sandbox stays usable: a later call restarts it."""
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None


#: After a page this large the worker is replaced (start-up ~0.3 s, against a page that took seconds).
RECYCLE_AFTER_CHARS = 1_000_000


def _describe_exit(code: int, chars: int, limits: Limits) -> str:
    """Why a worker vanished, as far as its exit status tells."""
    detail = f"worker exited with code {code} on {chars} chars"
    if code in (-6, -11):
        # Under RLIMIT_AS a failed allocation in C code aborts or segfaults instead of
        # raising MemoryError, so these are often the memory cap.
        detail += f" (signal {-code}; a C-level allocation failure under the {limits.extract_memory_mb} MB cap ends this way)"
    elif code == -9:
        detail += " (SIGKILL: the kernel OOM killer or an operator)"
    return detail


# ---------------------------------------------------------------------------- the worker side

def _worker_main() -> int:
    """Entry point of ``python -m transforms.extract.sandbox``: serve extraction requests until EOF."""
    import resource  # POSIX only, and only this child process sets limits

    config = json.loads(os.environ.get("STORYWIRE_SANDBOX_CONFIG") or "{}")
    limits = Limits(**config.get("limits", {}))
    # The protocol owns the original stdout; anything a library prints goes to stderr.
    proto_out = os.dup(1)
    os.dup2(2, 1)
    proto_in = 0
    logging.basicConfig(level=logging.WARNING, format="sandbox-worker %(levelname)s %(name)s: %(message)s")
    for noisy in ("trafilatura", "htmldate", "charset_normalizer", "courlan"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    extractor = _load_factory(config.get("factory") or DEFAULT_FACTORY)()
    import trafilatura  # noqa: F401  (import before the cap: imports are a fixed cost, not a document's)

    # A crashed worker must not spend seconds writing a core file of up to the cap.
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    cap = int(limits.extract_memory_mb) * 1024 * 1024
    if cap > 0:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    _write_frame(proto_out, {"ready": True, "pid": os.getpid()})

    while True:
        try:
            request = _read_frame(proto_in)
        except MemoryError:
            _write_frame(proto_out, {"ok": False, "stage": "extract", "reason": "memory_limit",
                                     "detail": "request larger than the worker's memory cap"})
            return 3
        if request is None:
            return 0
        try:
            result = extractor.extract(request["html"], request.get("url"), limits)
            reply = {"ok": True, "result": _to_wire(result)}
        except ExtractionError as err:
            reply = {"ok": False, "stage": err.stage, "reason": err.reason, "detail": err.detail}
        except MemoryError:
            request = None  # release the page before building the reply
            _write_frame(proto_out, {"ok": False, "stage": "extract", "reason": "memory_limit",
                                     "detail": f"over {limits.extract_memory_mb} MB address space"})
            return 3  # a process that hit MemoryError is not trusted with the next page
        except RecursionError as err:
            reply = {"ok": False, "stage": "extract", "reason": "too_deep", "detail": str(err)[:200]}
        except Exception as err:  # noqa: BLE001 - any extractor bug becomes an errors row, not a dead run
            reply = {"ok": False, "stage": "extract", "reason": "extractor_error",
                     "detail": f"{type(err).__name__}: {err}"[:300]}
        _write_frame(proto_out, reply)


if __name__ == "__main__":
    sys.exit(_worker_main())
