"""The coders of clustering's records: ``MemberCoder`` for ``Member`` and ``RowValuesCoder`` for untyped values.

``Member`` (one article as it moves through clustering) is defined in
``transforms.dedup.member``, without Beam, and exported here with its coder,
which importing this module registers.

``MemberCoder`` writes the fields as a tuple of primitives in a fixed order (datetimes
as UTC microseconds), so equal members encode to equal bytes: Beam can use members
in keys and state, and a shuffle costs about half of what pickling a dict does.

``RowValuesCoder`` is Beam's coder for untyped values (``FastPrimitivesCoder``) with a
faster fallback, registered for every PCollection whose type Beam cannot infer (rows
as dicts, members inside untyped tuples). Beam pickles what it does not know: a
timezone-aware datetime took 98 bytes and 5.5 us to encode and decode, so a dict row
with two of them cost 13.9 us against 2.6 us; a 10k run pickled ~200,000 datetimes,
~80,000 numpy arrays and ~50,000 members. The fallback writes those three compactly
and pickles anything else, as Beam did.
"""
from __future__ import annotations

import datetime as dt
import pickle
import struct
from typing import Optional

import apache_beam as beam
import numpy as np
from apache_beam import coders
from apache_beam.coders import coder_impl

from transforms.dedup.member import ARTICLE_FIELDS, Member

__all__ = ["Member", "MemberCoder", "RowValuesCoder", "ARTICLE_FIELDS", "utc_micros", "from_utc_micros"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def utc_micros(value: Optional[dt.datetime]) -> Optional[int]:
    """A datetime as microseconds since the epoch (naive: taken as UTC); None stays None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    since = value - _EPOCH  # its fields, not a division by a timedelta: ~0.5 us less a value
    return (since.days * 86400 + since.seconds) * 1_000_000 + since.microseconds


def from_utc_micros(micros: Optional[int]) -> Optional[dt.datetime]:
    """``utc_micros``' inverse, as a UTC datetime."""
    return None if micros is None else _EPOCH + dt.timedelta(0, 0, micros)


# Members are tuples of str, bytes, int, bool and None once the datetime is microseconds: Beam's own
# deterministic coder of Python primitives writes such a tuple in C, in a third of the time a TupleCoder
# of 21 nullable field coders took (1.4 against 3.9 us each way; ~70,000 members a 10k run), and it
# raises rather than pickle a value of another type.
_PRIMITIVES = coders.FastPrimitivesCoder().as_deterministic_coder("Member")
_PUBLISHED = Member._fields.index("published")
_N_WORDS = Member._fields.index("n_words")
_N_SHINGLES = Member._fields.index("n_shingles")
_PAST = Member._fields.index("past")


class MemberCoder(coders.Coder):
    """Encodes a ``Member`` as the tuple of its fields (``published`` in UTC microseconds); deterministic."""

    def __init__(self):
        self._fields_impl = _PRIMITIVES.get_impl()

    def encode(self, member: Member) -> bytes:
        values = list(member)
        values[_PUBLISHED] = utc_micros(values[_PUBLISHED])
        # Equal members encode equally: ``past`` may be given as 0/1, a count as a numpy integer.
        if values[_N_WORDS] is not None:
            values[_N_WORDS] = int(values[_N_WORDS])
        values[_N_SHINGLES] = int(values[_N_SHINGLES])
        values[_PAST] = bool(values[_PAST])
        return self._fields_impl.encode(tuple(values))

    def decode(self, encoded: bytes) -> Member:
        values = list(self._fields_impl.decode(encoded))
        values[_PUBLISHED] = from_utc_micros(values[_PUBLISHED])
        return Member(*values)

    def is_deterministic(self) -> bool:
        return True

    def to_type_hint(self):
        return Member

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))


beam.coders.registry.register_coder(Member, MemberCoder)


_UTC = dt.timezone.utc
_MICROS = struct.Struct(">q")
# One tag byte in front of each value the fallback writes.
_UTC_TIME, _NAIVE_TIME, _ARRAY, _MEMBER, _PICKLED = b"U", b"N", b"A", b"M", b"P"
_MEMBER_IMPL = MemberCoder().get_impl()


def _encode_value(value) -> bytes:
    kind = type(value)
    if kind is dt.datetime and (value.tzinfo is None or value.tzinfo is _UTC):
        tag = _NAIVE_TIME if value.tzinfo is None else _UTC_TIME
        return tag + _MICROS.pack(utc_micros(value))
    if kind is np.ndarray and value.dtype.kind in "biuf" and value.ndim == 1:
        dtype = value.dtype.str.encode()
        return _ARRAY + bytes((len(dtype),)) + dtype + value.tobytes()
    if kind is Member:
        return _MEMBER + _MEMBER_IMPL.encode(value)
    return _PICKLED + pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _decode_value(encoded: bytes):
    tag, body = encoded[:1], encoded[1:]
    if tag == _UTC_TIME or tag == _NAIVE_TIME:
        value = from_utc_micros(_MICROS.unpack(body)[0])
        return value if tag == _UTC_TIME else value.replace(tzinfo=None)
    if tag == _ARRAY:
        n = body[0]
        # A copy: a decoded array is writable, as an unpickled one is.
        return np.frombuffer(body[1 + n:], dtype=np.dtype(body[1:1 + n].decode())).copy()
    if tag == _MEMBER:
        return _MEMBER_IMPL.decode(body)
    return pickle.loads(body)


class _ValueFallbackCoder(coders.Coder):
    """What ``RowValuesCoder`` writes for a value that is not a Python primitive."""

    def _create_impl(self):
        return coder_impl.CallbackCoderImpl(_encode_value, _decode_value)

    def is_deterministic(self) -> bool:
        return False  # it pickles what it does not know, as Beam's PickleCoder does

    def to_type_hint(self):
        return object

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))


class RowValuesCoder(coders.FastPrimitivesCoder):
    """Beam's ``FastPrimitivesCoder`` whose fallback writes datetimes (UTC or naive) as microseconds,
    1-D numpy arrays of numbers as their bytes and ``Member``s with ``MemberCoder``; other values
    are pickled, as before. Keys still go through Beam's deterministic variant."""

    def __init__(self, fallback_coder=None):
        super().__init__(fallback_coder or _ValueFallbackCoder())


beam.coders.registry.register_fallback_coder(RowValuesCoder)
