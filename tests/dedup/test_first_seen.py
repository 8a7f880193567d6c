"""FirstSeenFn: the first live item per key, never one the index already holds, whatever the arrival order."""
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from transforms.dedup.first_seen import FirstSeenFn, history_marker, take_due


def test_take_due_orders_by_time_and_keeps_the_rest():
    pending = [(30, "c"), (10, "a"), (20, "b"), (10, "a2")]
    due, later = take_due(pending, 20)
    assert [item for _, item in due] == ["a", "a2", "b"]
    assert later == [(30, "c")]




def test_history_arriving_after_a_live_item_still_stops_it():
    options = PipelineOptions(runner="BundleBasedDirectRunner")
    options.view_as(StandardOptions).streaming = True
    stream = (TestStream()
              .advance_watermark_to(0)
              # Live items first, the index's marker for "u1" after them: ordering must not matter.
              .add_elements([TimestampedValue(("u1", "live-1"), 5), TimestampedValue(("u2", "live-2"), 6)])
              .add_elements([history_marker("u1")])
              .add_elements([TimestampedValue(("u2", "live-2-again"), 7), TimestampedValue(("u3", "live-3"), 8)])
              .advance_watermark_to(50)
              .add_elements([TimestampedValue(("u3", "live-3-later-poll"), 60)])
              .advance_watermark_to(100)
              .advance_watermark_to_infinity())
    with beam.Pipeline(options=options) as p:
        out = p | stream | beam.ParDo(FirstSeenFn("seen_before"))
        assert_that(out, equal_to([("u2", "live-2"), ("u3", "live-3")]))
