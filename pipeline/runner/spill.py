"""Disk-backed buffers for the local runner, so a run's memory does not grow with its corpus.

The in-process ``FnApiRunner`` keeps every PCollection that waits between two
stages in memory, and decodes each shuffle whole into one dict
(``GroupingBuffer``). At 100k documents that was 1.8 GB at the band shuffle
alone. These buffers keep the same contract (``append`` encoded chunks, iterate
encoded chunks) but hold at most a few MB in memory each:

* ``SpillingListBuffer`` writes its chunks to an anonymous temp file once they
  pass ``memory_bytes``.
* ``SpillingGroupingBuffer`` writes each (key, value) to one of ``PARTS`` hash
  partitions on disk and groups one partition at a time when it is read. A
  partition that is still too big is split again with another hash, so what is
  held at once is bounded by the biggest single key, not by the shuffle. Values
  stay in the bytes they came in: a value is read only to find where it ends,
  and a group is written as its key, a count and its values' bytes. (Decoding
  and encoding every value again on the way in and out took ~5 s of a 10k run.)

``slice_chunks`` cuts a buffer's chunks into bundles of bounded size, at element
boundaries, so one bundle's input and output are bounded too (see
``pipeline.runner.local_runner``). Dataflow has its own shuffle and never sees these.
"""
from __future__ import annotations

import collections
import os
import tempfile
import zlib
from typing import Callable, Iterable, Iterator, List, Optional, Tuple

from apache_beam.coders.coder_impl import create_InputStream, create_OutputStream
from apache_beam.coders.coders import GlobalWindowCoder
from apache_beam.transforms.window import GlobalWindow, GlobalWindows
from apache_beam.utils import windowed_value

__all__ = ["SpillFile", "SpillingListBuffer", "SpillingGroupingBuffer", "slice_chunks"]

#: In-memory bytes a list buffer keeps before it moves them to disk.
LIST_MEMORY_BYTES = 4 << 20
#: Staged bytes a grouping buffer keeps before it writes its partitions out.
GROUP_STAGE_BYTES = 8 << 20
#: Hash partitions per level of a grouping buffer.
PARTS = 64
#: A partition bigger than this is split again (by a differently seeded hash).
PART_BYTES = 32 << 20
#: Levels of splitting; past them a partition is one key or hash-colliding keys.
MAX_LEVELS = 4
#: What a buffer may keep in memory once its producing stage has finished.
IDLE_MEMORY_BYTES = 64 << 10
#: Size of the chunks a grouping buffer hands out.
OUT_CHUNK_BYTES = 1 << 20


def _round_robin(chunks: Iterable[bytes], n: int) -> List[List[bytes]]:
    # Only Beam's multi-worker bundle manager partitions a buffer; it gets whole chunks, round-robin.
    parts: List[List[bytes]] = [[] for _ in range(n)]
    for i, chunk in enumerate(chunks):
        parts[i % n].append(chunk)
    return parts


class SpillFile:
    """An append-only anonymous temp file; the OS drops it when the last buffer holding it goes."""

    def __init__(self, directory: Optional[str] = None):
        self._file = tempfile.TemporaryFile(dir=directory, prefix="storywire-spill-")
        self._fd = self._file.fileno()
        self.size = 0

    def write(self, data: bytes) -> Tuple[int, int]:
        offset = self.size
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, offset + len(data) - len(view))
            view = view[written:]
        self.size += len(data)
        return offset, len(data)

    def read(self, offset: int, length: int) -> bytes:
        data = os.pread(self._fd, length, offset)
        if len(data) != length:
            raise IOError(f"spill file short read: {len(data)} of {length} bytes at {offset}")
        return data


class SpillingListBuffer:
    """``ListBuffer`` whose chunks move to a temp file past ``memory_bytes``.

    Chunks keep their order; a copy (the runner copies a buffer read by two
    stages) shares the file, whose contents never change once written.
    """

    def __init__(self, coder_impl, directory: Optional[str] = None, memory_bytes: Optional[int] = None):
        self._coder_impl = coder_impl
        self._directory = directory
        self._memory_bytes = LIST_MEMORY_BYTES if memory_bytes is None else memory_bytes
        self._file: Optional[SpillFile] = None
        self._chunks: List[object] = []  # bytes in memory, or (offset, length) in self._file
        self._in_memory = 0
        self.nbytes = 0
        self.cleared = False

    def append(self, chunk: bytes) -> None:
        if self.cleared:
            raise RuntimeError("append to a cleared buffer")
        if not chunk:
            return
        self._chunks.append(chunk)
        self._in_memory += len(chunk)
        self.nbytes += len(chunk)
        if self._in_memory > self._memory_bytes:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = SpillFile(self._directory)
        self._chunks = [self._file.write(c) if isinstance(c, bytes) else c for c in self._chunks]
        self._in_memory = 0

    def settle(self) -> None:
        """The producing stage has finished: keep no more than a little in memory while the buffer waits."""
        if self._in_memory > IDLE_MEMORY_BYTES:
            self._spill()

    def extend(self, other: "SpillingListBuffer") -> None:
        for chunk in other:
            self.append(chunk)

    def copy(self) -> "SpillingListBuffer":
        new = SpillingListBuffer(self._coder_impl, self._directory, self._memory_bytes)
        new._file, new._chunks = self._file, list(self._chunks)
        new._in_memory, new.nbytes = self._in_memory, self.nbytes
        return new

    def __iter__(self) -> Iterator[bytes]:
        if self.cleared:
            raise RuntimeError("iterating a cleared buffer")
        for chunk in list(self._chunks):
            yield chunk if isinstance(chunk, bytes) else self._file.read(*chunk)

    def partition(self, n: int) -> List[List[bytes]]:
        return _round_robin(self, n)

    def clear(self) -> None:
        self.cleared = True
        self._chunks, self._file, self._in_memory, self.nbytes = [], None, 0, 0

    def reset(self) -> None:
        if not self.cleared:
            raise RuntimeError("reset of a buffer that was not cleared")
        self.cleared = False


class _Partitions:
    """``PARTS`` append-only partitions of (encoded key, encoded value) records, staged in memory then on disk."""

    def __init__(self, directory: Optional[str], level: int):
        self._directory = directory
        self.level = level
        self._seed = level * 0x9E3779B1 & 0xFFFFFFFF
        self._file: Optional[SpillFile] = None
        self._segments: List[List[Tuple[int, int]]] = [[] for _ in range(PARTS)]
        self._staged = [create_OutputStream() for _ in range(PARTS)]

    def add(self, encoded_key: bytes, encoded_value: bytes) -> None:
        out = self._staged[zlib.crc32(encoded_key, self._seed) % PARTS]
        out.write(encoded_key, True)
        out.write(encoded_value, True)

    def staged_bytes(self) -> int:
        return sum(out.size() for out in self._staged)

    def flush(self) -> None:
        if not self.staged_bytes():
            return
        if self._file is None:
            self._file = SpillFile(self._directory)
        for part, out in enumerate(self._staged):
            if out.size():
                self._segments[part].append(self._file.write(out.get()))
                self._staged[part] = create_OutputStream()

    def absorb(self, other: "_Partitions") -> None:
        """Append ``other``'s records (same level, so the same partitioning) as they are encoded."""
        for part in range(PARTS):
            out = self._staged[part]
            for offset, length in other._segments[part]:
                out.write(other._file.read(offset, length))
            out.write(other._staged[part].get())
            if self.staged_bytes() > GROUP_STAGE_BYTES:
                self.flush()

    def size(self, part: int) -> int:
        return sum(length for _, length in self._segments[part])

    def records(self, part: int) -> Iterator[Tuple[bytes, bytes]]:
        """The (encoded key, encoded value) records of a flushed partition, in the order they came."""
        for offset, length in self._segments[part]:
            stream = create_InputStream(self._file.read(offset, length))
            while stream.size() > 0:
                yield stream.read_all(True), stream.read_all(True)


#: A windowed value's header in the global window with a one-byte pane: timestamp, one window (no bytes).
_HEADER = 13
_ONE_WINDOW = b"\x00\x00\x00\x01"


class SpillingGroupingBuffer:
    """Batch ``GroupingBuffer`` (one group per key) that groups one hash partition at a time from disk.

    Grouping is by the key's encoding, as Beam's own buffer does. Output order is
    partition order (CRC32 of the key's encoding, so the same on every run), then first
    arrival within a partition.

    A (key, value) element is cut into the key's and the value's bytes where its
    header is the global window's (every batch shuffle's); elsewhere it is decoded
    and encoded again. A group is written as Beam's iterable coder writes a list:
    the count, then each value nested, so the grouped element is put together from
    bytes; the first group is also encoded by Beam, and if the bytes differ (a coder
    this was not written for) every group is.
    """

    def __init__(self, pre_grouped_coder, post_grouped_coder, directory: Optional[str] = None):
        kv_coder = pre_grouped_coder.wrapped_value_coder
        self._pre_impl = pre_grouped_coder.get_impl()
        self._post_impl = post_grouped_coder.get_impl()
        self._key_impl = kv_coder.key_coder().get_impl()
        self._value_impl = kv_coder.value_coder().get_impl()
        self._cut = isinstance(pre_grouped_coder.window_coder, GlobalWindowCoder)
        self._cut_checked = False
        self._header: Optional[bytes] = None
        self._directory = directory
        self._parts = _Partitions(directory, 0)
        self._read = False
        self._from_bytes: Optional[bool] = None
        self.nbytes = 0

    def append(self, elements_data: bytes) -> None:
        if self._read:
            raise RuntimeError("grouping buffer append after read")
        self.nbytes += len(elements_data)
        data, size = elements_data, len(elements_data)
        stream = create_InputStream(data)
        skip_key, skip_value, add = self._key_impl.decode_from_stream, self._value_impl.decode_from_stream, self._parts.add
        while stream.size() > 0:
            start = size - stream.size()
            if self._cut and data[start + 8:start + 12] == _ONE_WINDOW and data[start + 12] < 0x10:
                stream.read(_HEADER)
                skip_key(stream, True)
                middle = size - stream.size()
                skip_value(stream, True)
                end = size - stream.size()
                if self._cut_checked or self._cut_matches(data[start:end], middle - start):
                    add(data[start + _HEADER:middle], data[middle:end])
                    continue
                key, value = self._pre_impl.decode_nested(data[start:end]).value
            else:
                key, value = self._pre_impl.decode_from_stream(stream, True).value
            add(self._key_impl.encode_nested(key), self._value_impl.encode_nested(value))
        if self._parts.staged_bytes() > GROUP_STAGE_BYTES:
            self._parts.flush()

    def _cut_matches(self, element: bytes, middle: int) -> bool:
        """Whether the first element cut from bytes gives the key and value Beam's coders give (else
        every element is decoded and encoded again)."""
        key, value = self._pre_impl.decode_nested(element).value
        self._cut_checked = True
        self._cut = (element[_HEADER:middle] == self._key_impl.encode_nested(key)
                     and element[middle:] == self._value_impl.encode_nested(value))
        return self._cut

    def settle(self) -> None:
        """The producing stage has finished: keep no more than a little in memory while the buffer waits."""
        if self._parts.staged_bytes() > IDLE_MEMORY_BYTES:
            self._parts.flush()

    def extend(self, other: "SpillingGroupingBuffer") -> None:
        """Take in another buffer of the same shuffle: several stages write one shuffle when
        ``pipeline.runner.flatten`` has folded the Flatten before it into it."""
        if other is self:  # a buffer handed to its consumer twice (it is shared, never copied)
            return
        if self._read or other._read:
            raise RuntimeError("grouping buffer extended after read")
        self.nbytes += other.nbytes
        self._parts.absorb(other._parts)

    def copy(self) -> "SpillingGroupingBuffer":
        # As Beam's GroupingBuffer: shared, because reading does not consume it.
        return self

    def _grouped(self, parts: _Partitions) -> Iterator[Tuple[bytes, list]]:
        for part in range(PARTS):
            if parts.size(part) > PART_BYTES and parts.level + 1 < MAX_LEVELS:
                finer = _Partitions(self._directory, parts.level + 1)
                for i, (encoded_key, value) in enumerate(parts.records(part)):
                    finer.add(encoded_key, value)
                    if i % 1024 == 0 and finer.staged_bytes() > GROUP_STAGE_BYTES:
                        finer.flush()
                finer.flush()
                yield from self._grouped(finer)
                continue
            table = collections.defaultdict(list)
            for encoded_key, value in parts.records(part):
                table[encoded_key].append(value)
            yield from table.items()

    def _decoded(self, encoded_key: bytes, values: list) -> tuple:
        decode_key, decode_value = self._key_impl.decode_from_stream, self._value_impl.decode_from_stream
        return (decode_key(create_InputStream(encoded_key), True),
                [decode_value(create_InputStream(v), True) for v in values])

    def __iter__(self) -> Iterator[bytes]:
        self._read = True
        self._parts.flush()
        in_global_window = _global_window_pane()
        out = create_OutputStream()
        for encoded_key, values in self._grouped(self._parts):
            if self._from_bytes is None:
                # Beam's encoding of the first group against the one put together from bytes.
                empty = self._post_impl.encode_nested(in_global_window(self._decoded(encoded_key, [])))
                self._header = empty[:len(empty) - len(encoded_key) - 4]
                self._from_bytes = (self._post_impl.encode_nested(in_global_window(self._decoded(encoded_key, values)))
                                    == _group_bytes(self._header, encoded_key, values))
            if self._from_bytes:
                out.write(_group_bytes(self._header, encoded_key, values))
            else:
                self._post_impl.encode_to_stream(in_global_window(self._decoded(encoded_key, values)), out, True)
            if out.size() >= OUT_CHUNK_BYTES:
                yield out.get()
                out = create_OutputStream()
        if out.size():
            yield out.get()

    def partition(self, n: int) -> List[List[bytes]]:
        return _round_robin(self, n)

    cleared = False

    def clear(self) -> None:
        pass

    def reset(self) -> None:
        pass


def _group_bytes(header: bytes, encoded_key: bytes, values: list) -> bytes:
    # What Beam's iterable coder writes for a list: a big-endian int32 count, then each value nested.
    return b"".join((header, encoded_key, len(values).to_bytes(4, "big"), *values))


def _global_window_pane() -> Callable:
    # The pane Beam's own GroupingBuffer stamps on a batch group.
    return GlobalWindows.windowed_value(
        None,
        timestamp=GlobalWindow().max_timestamp(),
        pane_info=windowed_value.PaneInfo(
            is_first=True, is_last=True, timing=windowed_value.PaneInfoTiming.ON_TIME,
            index=0, nonspeculative_index=0)).with_value


def slice_chunks(chunks: Iterable[bytes], coder_impl, limit: Callable[[], int]) -> Iterator[List[bytes]]:
    """Regroup encoded chunks into lists of about ``limit()`` bytes, cut at element boundaries.

    A list goes over the limit by at most one element.

    ``limit`` is asked again before each slice, so the caller can shrink it
    once it has seen how much output a byte of input makes. A chunk bigger than
    the limit is cut by decoding it (the only way to find where an element
    ends); a single element bigger than the limit goes alone.
    """
    current: List[bytes] = []
    size = 0
    for chunk in chunks:
        if size and size + len(chunk) > limit():
            yield current
            current, size = [], 0
        if len(chunk) <= limit():
            current.append(chunk)
            size += len(chunk)
            continue
        stream = create_InputStream(chunk)
        start = 0
        while stream.size() > 0:
            coder_impl.decode_from_stream(stream, True)
            end = len(chunk) - stream.size()
            if end - start >= limit():
                yield [chunk[start:end]]
                start = end
        if start < len(chunk):
            current, size = [chunk[start:]], len(chunk) - start
    if current:
        yield current
