"""The local runner spills stage outputs to disk and runs each stage as bounded bundles, with the same results."""
import gc
import glob
import random

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam import coders
from apache_beam.coders.coders import GlobalWindowCoder
from apache_beam.coders.coder_impl import create_InputStream, create_OutputStream
from apache_beam.metrics import Metrics
from apache_beam.portability import common_urns
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.portability.fn_api_runner.execution import GroupingBuffer
from apache_beam.transforms import core
from apache_beam.transforms.window import GlobalWindow, GlobalWindows
from apache_beam.testing.util import assert_that, equal_to

import pipeline.runner.local_runner as local_runner
import pipeline.runner.spill as spill
from pipeline.runner.progress import ProgressFnApiRunner
from pipeline.runs import counters_of, distributions_of
from transforms.dataset.write import WriteTable

STOCK_GLOBAL_WINDOW_INIT = GlobalWindow.__init__
KV = coders.TupleCoder([coders.StrUtf8Coder(), coders.VarIntCoder()])
# The window coder the runner gives a batch shuffle.
PRE = coders.WindowedValueCoder(KV, GlobalWindowCoder())
POST = coders.WindowedValueCoder(coders.TupleCoder([coders.StrUtf8Coder(), coders.IterableCoder(coders.VarIntCoder())]),
                                 GlobalWindowCoder())


def _chunks(pairs, per_chunk=300, pre=PRE):
    impl = pre.get_impl()
    for start in range(0, len(pairs), per_chunk):
        out = create_OutputStream()
        for pair in pairs[start:start + per_chunk]:
            impl.encode_to_stream(GlobalWindows.windowed_value(pair), out, True)
        yield out.get()


def _groups(chunks):
    impl = POST.get_impl()
    groups = {}
    for chunk in chunks:
        stream = create_InputStream(chunk)
        while stream.size() > 0:
            key, values = impl.decode_from_stream(stream, True).value
            assert key not in groups, f"key {key!r} came out in two groups"
            groups[key] = sorted(values)
    return groups


@pytest.fixture
def tiny_spill(monkeypatch):
    # Small enough that a few thousand records go to disk, split partitions again, and cut many bundles.
    monkeypatch.setattr(spill, "LIST_MEMORY_BYTES", 2_000)
    monkeypatch.setattr(spill, "GROUP_STAGE_BYTES", 4_000)
    monkeypatch.setattr(spill, "PART_BYTES", 1_500)
    monkeypatch.setattr(spill, "OUT_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(local_runner, "FIRST_BUNDLE_BYTES", 1_000)
    monkeypatch.setattr(local_runner, "BUNDLE_OUT_BYTES", 8_000)
    monkeypatch.setattr(local_runner, "MIN_BUNDLE_BYTES", 200)


def test_grouping_buffer_groups_like_beams_own(tiny_spill):
    rng = random.Random(7)
    pairs = [(f"k{rng.randrange(400)}", i) for i in range(6_000)]
    pairs += [("giant", i) for i in range(3_000)]  # one key bigger than any partition may be
    rng.shuffle(pairs)
    stock = GroupingBuffer(PRE, POST, core.Windowing(GlobalWindows()))
    ours = spill.SpillingGroupingBuffer(PRE, POST)
    for chunk in _chunks(pairs):
        stock.append(chunk)
        ours.append(chunk)
    expected = _groups(stock)
    got = _groups(ours)
    assert got == expected and len(got["giant"]) == 3_000
    assert ours._cut and ours._from_bytes  # cut into bytes on the way in, put together from bytes on the way out
    assert _groups(ours) == expected  # a second reader (two consuming stages) sees the same groups
    assert ours.nbytes == sum(map(len, _chunks(pairs)))
    with pytest.raises(RuntimeError):
        ours.append(next(_chunks(pairs)))


@pytest.mark.parametrize("window_coder", [GlobalWindowCoder(), coders.PickleCoder()])
def test_grouping_buffer_decodes_and_encodes_what_it_cannot_cut_or_put_together(tiny_spill, window_coder):
    # Windows written by another coder: elements are decoded, not cut. The grouped values' coder
    # writes a type byte the shuffled values did not have: groups are encoded by Beam, not joined.
    pre = coders.WindowedValueCoder(KV, window_coder)
    post = coders.WindowedValueCoder(coders.TupleCoder([coders.StrUtf8Coder(),
                                                        coders.IterableCoder(coders.FastPrimitivesCoder())]),
                                     window_coder)
    pairs = [(f"k{i % 31}", i) for i in range(1_000)]
    stock = GroupingBuffer(pre, post, core.Windowing(GlobalWindows()))
    ours = spill.SpillingGroupingBuffer(pre, post)
    for chunk in _chunks(pairs, pre=pre):
        stock.append(chunk)
        ours.append(chunk)

    def groups(buffer):
        impl = post.get_impl()
        found = {}
        for chunk in buffer:
            stream = create_InputStream(chunk)
            while stream.size() > 0:
                key, values = impl.decode_from_stream(stream, True).value
                found[key] = sorted(values)
        return found

    assert groups(ours) == groups(stock) and len(groups(ours)) == 31
    assert ours._cut == isinstance(window_coder, GlobalWindowCoder) and ours._from_bytes is False


def test_grouping_buffer_order_is_the_same_on_every_run(tiny_spill):
    pairs = [(f"k{i % 97}", i) for i in range(2_000)]

    def keys():
        buffer = spill.SpillingGroupingBuffer(PRE, POST)
        for chunk in _chunks(pairs):
            buffer.append(chunk)
        return list(_groups(buffer))

    assert keys() == keys()


def test_list_buffer_spills_and_keeps_order(tiny_spill):
    buffer = spill.SpillingListBuffer(None)
    chunks = [bytes([i]) * (100 + i) for i in range(100)]
    for chunk in chunks:
        buffer.append(chunk)
    assert buffer._in_memory <= spill.LIST_MEMORY_BYTES and buffer._file.size > 10_000
    copy = buffer.copy()
    assert list(buffer) == chunks and list(copy) == chunks
    assert [c for part in buffer.partition(3) for c in part] == [c for i in range(3) for c in chunks[i::3]]
    buffer.clear()
    assert list(copy) == chunks  # the copy still reads the shared file


def test_slices_cut_at_element_boundaries_and_keep_order():
    impl = coders.WindowedValueCoder(coders.StrUtf8Coder()).get_impl()
    values = ["x" * random.Random(i).randrange(1, 60) for i in range(1_000)]
    chunks = []
    for start in (0, 10, 700):
        out = create_OutputStream()
        for v in values[start:{0: 10, 10: 700, 700: 1_000}[start]]:
            impl.encode_to_stream(GlobalWindows.windowed_value(v), out, True)
        chunks.append(out.get())
    slices = list(spill.slice_chunks(chunks, impl, lambda: 500))
    got = []
    for piece in slices:
        assert sum(map(len, piece)) < 500 + 80  # the limit, overshot by at most one element
        for chunk in piece:
            stream = create_InputStream(chunk)
            while stream.size() > 0:
                got.append(impl.decode_from_stream(stream, True).value)
    assert got == values and len(slices) > 20


class _Count(beam.DoFn):
    def __init__(self):
        self._seen = Metrics.counter("storywire", "documents_read")

    def process(self, x):
        self._seen.inc()
        yield x


def test_stage_runs_as_many_bundles_with_the_same_result(tiny_spill):
    runner = ProgressFnApiRunner()
    n = 20_000
    with beam.Pipeline(runner=runner) as p:
        side = beam.pvalue.AsSingleton(p | "Two" >> beam.Create([2]))
        groups = (
            p | beam.Create(range(n)) | beam.ParDo(_Count())
            | beam.Map(lambda i: (i % 997, i)) | beam.GroupByKey()
            | beam.FlatMap(lambda kv, times: [(kv[0], len(kv[1]), sum(kv[1]))] * times, times=side)
            | beam.Distinct()
        )
        assert_that(groups, equal_to([(k, len(range(k, n, 997)), sum(range(k, n, 997))) for k in range(997)]))
    assert runner.bundles_run > 50
    assert runner.totals()["documents_read"] == n  # counters of every bundle of a cut stage add up


def test_one_file_table_stays_one_file_when_its_stage_is_cut(tiny_spill, tmp_path):
    schema = pa.schema([("cluster_id", pa.string()), ("run_id", pa.string())])
    runner = ProgressFnApiRunner()
    with beam.Pipeline(runner=runner) as p:
        _ = (p | beam.Create([{"cluster_id": f"c{i:05d}"} for i in range(3_000)])
             | WriteTable(str(tmp_path / "t"), schema, "r1", None, shards=1, temp_directory=str(tmp_path / "tmp")))
    files = glob.glob(str(tmp_path / "t" / "*.parquet"))
    assert runner.bundles_run > 10
    assert len(files) == 1 and pq.read_table(files[0]).num_rows == 3_000


def test_a_stage_that_fans_out_is_cut_into_bundles_by_its_output(monkeypatch):
    # 300 small elements that each become 40 KB: the input is tiny, the output is 12 MB.
    def bundles(out_budget):
        monkeypatch.setattr(local_runner, "FIRST_BUNDLE_BYTES", 256)
        monkeypatch.setattr(local_runner, "BUNDLE_OUT_BYTES", out_budget)
        monkeypatch.setattr(local_runner, "MIN_BUNDLE_BYTES", 16)
        runner = local_runner.LocalRunner()
        with beam.Pipeline(runner=runner) as p:
            sizes = (p | beam.Create(range(300)) | "Spread" >> beam.Reshuffle()  # the numbers are a stage's input
                     | beam.Map(lambda i: "x" * 40_000 + str(i))
                     | beam.Reshuffle()  # the 40 KB strings are the stage's output
                     | beam.Map(len) | beam.combiners.Count.Globally())
            assert_that(sizes, equal_to([300]))
        return runner.bundles_run

    fine, coarse = bundles(1 << 20), bundles(1 << 30)
    assert fine >= coarse + 8, (fine, coarse)


def test_counters_read_after_a_stage_ran_as_thousands_of_bundles(monkeypatch):
    # One element a bundle: the stage after Create's shuffle runs as 2,100 bundles, merged into one response.
    monkeypatch.setattr(local_runner, "FIRST_BUNDLE_BYTES", 1)
    monkeypatch.setattr(local_runner, "BUNDLE_IN_BYTES", 1)
    monkeypatch.setattr(local_runner, "MIN_BUNDLE_BYTES", 1)
    n = 2_100
    runner = ProgressFnApiRunner()
    p = beam.Pipeline(runner=runner)
    _ = p | beam.Create(range(n)) | beam.ParDo(_Count())  # Create reshuffles its elements
    result = p.run()
    result.wait_until_finish()
    assert runner.bundles_run > 2_000
    assert counters_of(result)["documents_read"] == n
    assert distributions_of(result) == {}


def test_grouping_buffers_of_one_shuffle_merge_into_the_same_groups(tiny_spill):
    rng = random.Random(11)
    pairs = [(f"k{rng.randrange(300)}", i) for i in range(5_000)]
    stock = GroupingBuffer(PRE, POST, core.Windowing(GlobalWindows()))
    first, second = spill.SpillingGroupingBuffer(PRE, POST), spill.SpillingGroupingBuffer(PRE, POST)
    chunks = list(_chunks(pairs))
    for i, chunk in enumerate(chunks):
        stock.append(chunk)
        (first if i % 2 else second).append(chunk)  # two stages writing one shuffle
    first.extend(second)
    first.extend(first)  # the same buffer handed over twice adds nothing
    assert _groups(first) == _groups(stock)
    assert first.nbytes == sum(map(len, chunks))


def test_a_flatten_feeding_a_shuffle_is_folded_into_it(tiny_spill):
    def build(p):
        evens = p | "Evens" >> beam.Create(range(0, 4_000, 2)) | "KeyEvens" >> beam.Map(lambda i: (i % 31, i))
        odds = p | "Odds" >> beam.Create(range(1, 4_000, 2)) | "KeyOdds" >> beam.Map(lambda i: (str(i % 31), i))
        return ((evens, odds) | "FlattenBoth" >> beam.Flatten() | "GroupBoth" >> beam.GroupByKey()
                | "Sum" >> beam.MapTuple(lambda k, vs: (k, len(vs), sum(vs))))

    groups = {}
    for i in range(4_000):
        groups.setdefault(i % 31 if i % 2 == 0 else str(i % 31), []).append(i)
    expected = [(k, len(vs), sum(vs)) for k, vs in groups.items()]
    runner = local_runner.LocalRunner()
    p = beam.Pipeline(runner=runner)
    out = build(p)
    assert_that(out, equal_to(expected))
    _, stages = runner.create_stages(p.to_runner_api())
    urns = [t.spec.urn for s in stages for t in s.transforms]
    assert common_urns.primitives.FLATTEN.urn not in urns
    p.run().wait_until_finish()
    # Beam's own fusion materializes the Flatten (a write per input, then a read).
    _, stock = FnApiRunner().create_stages(p.to_runner_api())
    assert any(t.unique_name.startswith("FlattenBoth/Write/") for s in stock for t in s.transforms)


class _SeesTheRunFn(beam.DoFn):
    """Records, inside a bundle, what the run changed: the collector's frozen objects, whether
    ``GlobalWindow()`` still rebuilds its end, and whether this DoFn's output sizes are sampled."""

    seen: list = []

    def process(self, x):
        rebuilt = []
        stock = GlobalWindow._getTimestampFromProto
        GlobalWindow._getTimestampFromProto = staticmethod(lambda: rebuilt.append(1) or stock())
        try:
            GlobalWindow()
        finally:
            GlobalWindow._getTimestampFromProto = staticmethod(stock)
        _SeesTheRunFn.seen.append((gc.get_freeze_count() > 0, bool(rebuilt), gc.get_threshold()))
        yield x


def test_a_run_freezes_the_collector_and_builds_the_global_window_once_only_while_it_runs():
    _SeesTheRunFn.seen = []
    thresholds = gc.get_threshold()
    assert thresholds != local_runner.RUN_GC_THRESHOLDS
    with beam.Pipeline(runner=local_runner.LocalRunner()) as p:
        assert_that(p | beam.Create([1, 2, 3]) | beam.ParDo(_SeesTheRunFn()), equal_to([1, 2, 3]))
    assert _SeesTheRunFn.seen
    assert all(s == (True, False, local_runner.RUN_GC_THRESHOLDS) for s in _SeesTheRunFn.seen)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    assert GlobalWindow.__init__ is STOCK_GLOBAL_WINDOW_INIT


def test_runs_that_overlap_share_the_collectors_settings_until_the_last_ends():
    # Two runs in one process, the first to start ending first: the second still runs with the settings, and
    # the caller's come back only when it ends (each run restoring what it found left the run's thresholds).
    thresholds = gc.get_threshold()
    first, second = local_runner.RUN_COLLECTOR.applied(), local_runner.RUN_COLLECTOR.applied()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == local_runner.RUN_GC_THRESHOLDS and gc.get_freeze_count() > 0
    second.__exit__(None, None, None)
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0


def test_operations_of_a_run_sample_no_sizes_unless_they_check_types():
    class Descriptor:
        pass

    class Counters:
        def __init__(self, constraints):
            self.coder_impl, self.output_type_constraints = object(), constraints

    class Receiver:
        def __init__(self, constraints):
            self.opcounter = Counters(constraints)

    class Op:
        receivers = [Receiver({}), Receiver({"Map": ("x", int)})]

    op = Op()
    create = local_runner._unsampled(lambda self, descriptor: {"t": op})
    assert create(None, Descriptor()) == {"t": op}
    assert op.receivers[0].opcounter.coder_impl is None  # no sizes sampled
    assert op.receivers[1].opcounter.coder_impl is not None  # runtime type checks run where sizes are sampled


def test_a_bundle_input_reaches_the_worker_one_message_per_chunk(tiny_spill):
    # Many small chunks (tiny_spill) in many bundles; the worker must see every element once, in order per key.
    n = 5_000
    with beam.Pipeline(runner=ProgressFnApiRunner()) as p:
        grouped = (p | beam.Create([(i % 7, i) for i in range(n)]) | beam.GroupByKey()
                   | beam.MapTuple(lambda k, vs: (k, sorted(vs))))
        assert_that(grouped, equal_to([(k, list(range(k, n, 7))) for k in range(7)]))

    sent = []

    class Channel(local_runner.data_plane.InMemoryDataChannel):
        pass

    class Manager:
        class _worker_handler:
            data_conn = local_runner.data_plane.InMemoryDataChannel()

    send = local_runner._sent_by_chunk(lambda *args: sent.append(args))
    send(Manager(), "b1", "read", [b"ab", b"", b"cd"])
    inputs = Manager._worker_handler.data_conn.inverse()._inputs
    assert [(m.instruction_id, m.transform_id, m.data, m.is_last) for m in inputs] == [
        ("b1", "read", b"ab", False), ("b1", "read", b"cd", False), ("b1", "read", b"", True)]
    assert [m.data for m in Manager._worker_handler.data_conn.inverse().input_elements("b1", [])] == [b"ab", b"cd", b""]
    # Any other channel (a worker in another process) gets Beam's own sending.
    Manager._worker_handler.data_conn = Channel()
    send(Manager(), "b2", "read", [b"x"])
    assert sent and sent[0][1:] == ("b2", "read", [b"x"])
