"""Folding stream cluster deltas into the cluster state (pure function)."""
import datetime as dt

from transforms.dataset.pending_clusters import fold_pending
from transforms.dedup.stream_match import cluster_update

T0 = dt.datetime(2024, 10, 21, 8, tzinfo=dt.timezone.utc)


def member(aid, cluster, canonical, hours=0, site="a.example"):
    return cluster_update({"article_id": aid, "cluster_id": cluster, "is_canonical": canonical, "site": site,
                           "published": T0 + dt.timedelta(hours=hours), "title": f"title {aid}", "text": "body"})


def test_stream_only_cluster_starts_from_its_original_whatever_the_order():
    row = fold_pending("c1", [], [member("copy", "c1", False, 2, "b.example"), member("orig", "c1", True, 0)])
    assert row["canonical_article_id"] == "orig" and row["title"] == "title orig"
    assert row["size"] == 2 and row["member_ids"] == ["copy", "orig"]
    assert row["sites"] == ["a.example", "b.example"]
    assert row["first_published"] == T0 and row["last_published"] == T0 + dt.timedelta(hours=2)


def test_deltas_add_to_an_existing_cluster_once():
    state = [{"cluster_id": "c1", "canonical_article_id": "orig", "title": "t", "text": "x", "size": 1,
              "member_ids": ["orig"], "sites": ["a.example"], "first_published": T0, "last_published": T0,
              "merged_into": None, "run_id": "r0", "updated_at": T0}]
    row = fold_pending("c1", state, [member("copy", "c1", False, 5, "c.example")])
    assert row["size"] == 2 and row["member_ids"] == ["copy", "orig"] and row["canonical_article_id"] == "orig"
    assert "run_id" not in row  # changed: the writer stamps this run
    # A delta whose member is already in the state was folded by an earlier run: not counted again.
    again = fold_pending("c1", [{**row, "run_id": "r1"}], [member("copy", "c1", False, 5, "c.example")])
    assert again["size"] == 2 and again["run_id"] == "r1"


def test_state_without_an_original_takes_it_from_the_stream():
    state = [{"cluster_id": "c1", "canonical_article_id": None, "title": None, "text": None, "size": 1,
              "member_ids": ["late-copy"], "sites": [], "first_published": None, "last_published": None,
              "merged_into": None}]
    row = fold_pending("c1", state, [member("orig", "c1", True)])
    assert row["canonical_article_id"] == "orig" and row["size"] == 2


def test_nothing_to_fold():
    assert fold_pending("c1", [], []) is None
