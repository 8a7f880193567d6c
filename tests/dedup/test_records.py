"""Members: typed clustering records with a deterministic coder, and the only ways out of them."""
import datetime as dt

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing.util import assert_that, equal_to

from schemas import ARTICLES_SCHEMA, INDEX_SCHEMA
from tests.beam_helpers import local_pipeline
from tests.dedup.test_cluster_transform import article, words
from transforms.dedup.records import ARTICLE_FIELDS, Member, MemberCoder, RowValuesCoder
from transforms.dedup.sign import SignArticles
from transforms.dedup.signing import MinHashConfig

WHEN = dt.datetime(2024, 3, 5, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def full_member(**over):
    fields = dict(article_id="a1", source="seeds/000.txt", url="https://x/a", site="x", title="T", byline="B",
                  credited_source="CNN", published=WHEN, language="en", n_words=412, content_hash="h",
                  extractor="textclean", event_terms="quake 2.5", sig=b"\x01\x02\x03\x04", n_shingles=400,
                  anchors=b"\x00" * 8, role_sketch=b"\x09" * 4, dup_of=None, cluster_id=None, event_id=None,
                  past=False)
    fields.update(over)
    return Member(**fields)


def test_coder_round_trips_every_field_and_keeps_the_instant_in_utc():
    coder = MemberCoder()
    m = full_member()
    back = coder.decode(coder.encode(m))
    assert back == m and back.published.tzinfo == dt.timezone.utc
    empty = Member("only-id")
    assert coder.decode(coder.encode(empty)) == empty


def test_coder_is_deterministic_and_registered_for_members():
    coder = MemberCoder()
    assert coder.is_deterministic()
    # Equal members (however their datetime was spelt) encode to equal bytes.
    utc = full_member(published=WHEN.astimezone(dt.timezone.utc))
    assert coder.encode(full_member()) == coder.encode(utc)
    assert coder.encode(full_member()) != coder.encode(full_member(n_shingles=401))
    assert coder.encode(full_member(past=True)) == coder.encode(full_member(past=1))
    assert coder.encode(full_member(n_words=12)) == coder.encode(full_member(n_words=np.int64(12)))
    assert isinstance(beam.coders.registry.get_coder(Member), MemberCoder)
    # A field of another type is refused, not pickled (a pickle's bytes are not deterministic).
    with pytest.raises(Exception):
        coder.encode(full_member(title=object()))


def test_rows_out_of_a_member_hold_only_table_fields():
    m = full_member()
    row = m.article_row(cluster_id="c1", role="copy")
    internal = {"sig", "n_shingles", "anchors", "role_sketch", "dup_of", "past"}
    assert not internal & set(row)
    assert set(ARTICLE_FIELDS) <= set(ARTICLES_SCHEMA.names)
    assert row["cluster_id"] == "c1" and row["published"] == WHEN
    index = m.index_row("c1")
    assert set(index) <= set(INDEX_SCHEMA.names) and index["sig"] == m.sig
    past = Member.from_index(index)
    assert past.past and past.cluster_id == "c1" and past.sig == m.sig and past.n_shingles == 400


def test_sign_articles_emits_members_encoded_with_the_member_coder():
    arts = [article("a", " ".join(words(1, 120))), article("b", " ".join(words(2, 90)))]
    with local_pipeline() as p:
        slim = (p | beam.Create(arts) | SignArticles(MinHashConfig())).slim
        assert slim.element_type is Member
        assert_that(slim | beam.Map(lambda m: (type(m).__name__, m.article_id, m.n_shingles > 0,
                                               m.role_sketch is not None, m.sig is not None)),
                    equal_to([("Member", "a", True, True, True), ("Member", "b", True, True, True)]))
    assert isinstance(beam.coders.registry.get_coder(slim.element_type), MemberCoder)


def test_untyped_values_keep_datetimes_arrays_and_members_without_pickling_them():
    import pickle
    from typing import Any

    import numpy as np

    coder = beam.coders.registry.get_coder(Any)
    assert isinstance(coder, RowValuesCoder)
    utc, naive = WHEN.astimezone(dt.timezone.utc), dt.datetime(2024, 3, 5, 12, 30, 1, 7)
    row = {"published": utc, "ingested_at": naive, "sig": np.arange(6, dtype=np.uint16),
           "pair": ("k", full_member(published=utc)), "other_zone": WHEN, "day": dt.date(2024, 3, 5)}
    back = coder.decode(coder.encode(row))
    assert back["published"] == utc and back["published"].tzinfo is dt.timezone.utc
    assert back["ingested_at"] == naive and back["ingested_at"].tzinfo is None
    assert back["sig"].dtype == np.uint16 and back["sig"].tolist() == list(range(6)) and back["sig"].flags.writeable
    assert back["pair"] == row["pair"] and type(back["pair"][1]) is Member
    assert back["other_zone"] == WHEN and back["other_zone"].utcoffset() == WHEN.utcoffset()  # pickled, as before
    assert back["day"] == row["day"]
    # To the microsecond, before 1970 too.
    for when in (dt.datetime(1969, 7, 20, 20, 17, 40, 999_999, tzinfo=dt.timezone.utc),
                 dt.datetime(1, 1, 1, 0, 0, 0, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999_999)):
        assert coder.decode(coder.encode(when)) == when
    # A datetime takes 10 bytes (tag, length, type byte included), where Beam's fallback pickled 98.
    assert len(coder.encode(utc)) <= 12 < len(pickle.dumps(utc, pickle.HIGHEST_PROTOCOL))
