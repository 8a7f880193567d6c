"""Lines repeated across a site's documents in one run are boilerplate."""
import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from transforms.extract.boilerplate import FindRepeatedLines, candidate_lines, repeated_lines, site_group
from transforms.model import RawDocument

PROMO = "Get the latest local news delivered to your inbox every morning with our newsletter."


def doc(source, body, url=None):
    return RawDocument(source=source, raw=body.encode(), url=url)


def test_candidate_lines_skip_html_and_short_lines():
    assert candidate_lines(b"<!DOCTYPE html><html><body><p>" + PROMO.encode() + b"</p></body></html>") == set()
    lines = candidate_lines(("Home\n\n" + PROMO + "\n").encode())
    assert lines == {" ".join(PROMO.lower().replace(".", "").split())}


def test_site_group_prefers_host_then_folder():
    assert site_group(doc("/data/ksl/1.txt", "x", url="https://www.ksl.com/a")) == "ksl.com"
    assert site_group(doc("/data/ksl/1.txt", "x")) == "/data/ksl"


def test_repeated_line_found_only_where_site_has_enough_documents():
    docs = [doc(f"/site/a/{i}.txt", f"Story number {i} about the council budget and the schools.\n{PROMO}")
            for i in range(4)]
    docs += [doc("/site/b/1.txt", PROMO), doc("/site/b/2.txt", PROMO)]  # two docs: too few to judge
    norm = next(iter(candidate_lines(PROMO.encode())))

    with local_pipeline() as p:
        found = p | beam.Create(docs) | FindRepeatedLines(min_docs=3, min_share=0.5)
        assert_that(found, equal_to([{"/site/a": frozenset({norm})}]))


def test_pipeline_drops_site_promo_line(tmp_path):
    from tests.run_cli import read_table, storywire
    src = tmp_path / "site"
    src.mkdir()
    topics = ["bridge repairs", "school budget", "harbor dredging", "library hours"]
    for i, topic in enumerate(topics):
        paras = [f"Officials discussed the {topic} plan on Tuesday evening, and residents asked many questions "
                 f"about cost number {i} and the timetable for the work in the spring." for _ in range(1)]
        paras.append(f"The council will vote on the {topic} proposal next month after a public hearing, "
                     f"the mayor said in a statement released late on Wednesday {i}.")
        (src / f"{i}.txt").write_text("\n\n".join([paras[0], PROMO, paras[1]]))
    out = tmp_path / "out"
    storywire("run", "--input", src, "--output", out, "--min_words", "10")
    texts = read_table(out, "articles")["text"].tolist()
    assert len(texts) == 4
    assert all(PROMO not in t for t in texts)
    assert all("council will vote" in t for t in texts)


def test_repeated_lines_needs_min_docs_and_share():
    sample = [("promo", f"unique {i}") for i in range(6)] + [("other",)] * 2
    assert repeated_lines(sample, min_docs=3, min_share=0.5) == frozenset({"promo"})
    assert repeated_lines(sample[:2], min_docs=3, min_share=0.5) == frozenset()  # too few documents
    assert repeated_lines(sample, min_docs=3, min_share=0.8) == frozenset()      # promo on 6 of 8


def test_large_site_is_judged_on_a_bounded_stable_sample():
    from apache_beam.metrics import MetricsFilter
    rare = "This correction line appears on only a handful of the many pages of this site."
    docs = [doc(f"/big/{i}.txt", f"Report {i} on the harbor works and the bridge closures downtown.\n{PROMO}"
                + (f"\n{rare}" if i % 50 == 0 else "")) for i in range(600)]
    promo, = candidate_lines(PROMO.encode())
    p = local_pipeline()
    found = p | beam.Create(docs) | FindRepeatedLines(min_docs=3, min_share=0.5, sample_docs=40)
    assert_that(found, equal_to([{"/big": frozenset({promo})}]))
    result = p.run()
    result.wait_until_finish()
    sampled = result.metrics().query(MetricsFilter().with_name("boilerplate_sample_docs"))["distributions"]
    assert sampled and sampled[0].committed.max == 40
