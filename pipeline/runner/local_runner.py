"""The in-process runner for local runs, with memory that does not grow with the corpus.

Beam's ``FnApiRunner`` runs each fused stage as one bundle over its whole input
and keeps every PCollection between stages in memory, so a local run's peak
grew by ~14 KB per document (1.8 GB at 100k). ``LocalRunner`` changes a few
things and leaves the graph alone (Dataflow has its own shuffle and bundling):

* a Flatten that only feeds a shuffle writes straight into it (``pipeline.runner.flatten``);
* stage outputs go to ``pipeline.runner.spill`` buffers, which move to temp files past
  a few MB and group a shuffle one hash partition at a time;
* a stage runs as many bundles, each cut from its input at element boundaries
  and sized so that input and (measured) output stay under ``BUNDLE_OUT_BYTES``;
  Beam allows any bundling, and a stage whose DoFns set timers keeps one bundle;
* after each stage, glibc hands freed heap back to the OS;
* Beam's state sampler wakes every ``SAMPLING_PERIOD_MS``, not every 200 ms, so the
  join that ends every bundle does not idle;
* ``GlobalWindow()``, which Beam calls per element in its own global-window steps, sets its end once;
* operations do not estimate their outputs' sizes (a metric the runner does not read), and a
  bundle's input reaches the worker chunk by chunk, not copied into one message;
* Python's cyclic collector leaves the objects alive at the start of the run out of its walks.

What remains in memory is Beam's own: side inputs (our biggest is the
component map of linked articles) and a group's values for one key.
"""
from __future__ import annotations

import copy
import ctypes
import ctypes.util
import gc
import time
from typing import Dict, Optional

from apache_beam.metrics.monitoring_infos import consolidate
from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_fn_api_pb2
from apache_beam.runners.portability.fn_api_runner import fn_runner, translations
from apache_beam.runners.portability.fn_api_runner.execution import ListBuffer
from apache_beam.runners.portability.fn_api_runner.translations import DataInput, split_buffer_id
from apache_beam.runners.worker import bundle_processor, data_plane, statesampler
from apache_beam.transforms.trigger import AccumulationMode, Always
from apache_beam.transforms.window import GlobalWindow, GlobalWindows

from pipeline.runner import flatten
from pipeline.runner.fence import BeamPatch, FencedFnApiRunner, SharedChange
from pipeline.runner.spill import SpillingGroupingBuffer, SpillingListBuffer, slice_chunks

__all__ = ["LocalRunner"]

#: First bundle of a stage: small, to learn how much output a byte of input makes.
FIRST_BUNDLE_BYTES = 256 << 10
#: Most input bytes in one bundle.
BUNDLE_IN_BYTES = 16 << 20
#: Output bytes a bundle is sized for, from the stage's largest ratio so far.
BUNDLE_OUT_BYTES = 32 << 20
MIN_BUNDLE_BYTES = 16 << 10
#: Seconds a bundle is sized for, so progress moves during a long stage.
BUNDLE_SECONDS = 5.0


def _released_after_finish(finish):
    """Let each stage's closed output buffer go once its bundle has finished.

    The in-process runner caches a stage's bundle processor, and with it the
    output stream of the stage's last bundle (up to ~10 MB each) although the
    stream is closed and a fresh one is set before every bundle. With some fifty
    stages that kept ~220 MB alive at 10k documents.
    """
    def finish_and_release(self):
        finish(self)
        self.output_stream = None

    return finish_and_release


#: Applied while a ``LocalRunner`` runs its stages (see ``pipeline.runner.fence``).
RELEASE_OUTPUT_STREAMS = BeamPatch(bundle_processor.DataOutputOperation, "finish", _released_after_finish)


def _unsampled(create_execution_tree):
    """``BundleProcessor.create_execution_tree`` whose operations do not sample their outputs' sizes.

    Each output of each operation had its encoded size estimated for Beam's sampled-byte-size
    metric: every element of the first ten of an output, then about ten per doubling. A batch
    (1,024 members, a group's values) is encoded whole to be measured (a profile put it at ~0.3 s
    of a 10k-document run), for a metric a local run never reads (bundles are sized from the spill
    buffers' bytes). An output with runtime type checks keeps its sampling: they run in it.
    """
    def create_unsampled(self, descriptor):
        ops = create_execution_tree(self, descriptor)
        for op in ops.values():
            for receiver in op.receivers:
                counters = receiver.opcounter
                if not counters.output_type_constraints:
                    counters.coder_impl = None
        return ops

    return create_unsampled


#: Applied while a ``LocalRunner`` runs its stages (see ``pipeline.runner.fence``).
UNSAMPLED_SIZES = BeamPatch(bundle_processor.BundleProcessor, "create_execution_tree", _unsampled)


def _sent_by_chunk(send):
    """``BundleManager._send_input_to_worker`` that hands an in-process worker each chunk as it is.

    Beam writes a bundle's input chunks into one stream (growing it by copies), takes its bytes
    (another copy) and wraps them in one message (a third); the chunks are whole elements already
    (buffers are cut at element boundaries), and the worker reads a bundle's messages in order.
    """
    def send_chunks(self, process_bundle_id, read_transform_id, byte_streams):
        channel = self._worker_handler.data_conn
        if type(channel) is not data_plane.InMemoryDataChannel:
            return send(self, process_bundle_id, read_transform_id, byte_streams)
        inputs = channel.inverse()._inputs
        for chunk in byte_streams or ():
            if chunk:
                inputs.append(beam_fn_api_pb2.Elements.Data(
                    instruction_id=process_bundle_id, transform_id=read_transform_id, data=chunk))
        inputs.append(beam_fn_api_pb2.Elements.Data(
            instruction_id=process_bundle_id, transform_id=read_transform_id, is_last=True))
        return None

    return send_chunks


#: Applied while a ``LocalRunner`` runs its stages (see ``pipeline.runner.fence``).
INPUT_BY_CHUNK = BeamPatch(fn_runner.BundleManager, "_send_input_to_worker", _sent_by_chunk)

#: Longest sleep of the state-sampling thread, in ms (Beam: 200).
SAMPLING_PERIOD_MS = 10


def _sampling_every(sampler_class):
    """Beam's ``StateSampler`` with a short sampling period.

    Every bundle starts a sampling thread and joins it at the end; the thread
    sleeps up to its period (ramping up to 200 ms) before it sees the stop, so
    each bundle of more than a second ended with ~100 ms of idle wall time: 3 s
    for the 90 bundles of a 10k-document run. The sampled times only feed
    Beam's per-step msec counters, which a local run does not report.
    """
    class ShortPeriodStateSampler(sampler_class):
        def __init__(self, prefix, counter_factory, sampling_period_ms=SAMPLING_PERIOD_MS):
            super().__init__(prefix, counter_factory, min(sampling_period_ms, SAMPLING_PERIOD_MS))

    return ShortPeriodStateSampler


#: ``bundle_processor`` builds one sampler per bundle processor as ``statesampler.StateSampler(...)``.
SHORT_SAMPLING = BeamPatch(statesampler, "StateSampler", _sampling_every)


def _initialised_once(init):
    """``GlobalWindow.__init__`` that sets the singleton's end once.

    ``GlobalWindow()`` is a singleton, but its ``__init__`` runs at every call and rebuilds its
    end timestamp from a proto constant in Python. Beam calls it for every element it puts in
    the global window itself (``Reshuffle`` restoring its values, ``BatchElements`` emitting a
    batch), ~1 us a call against ~0.15 us. The end never changes, so it is set once.
    """
    def init_once(self):
        if "_end" not in vars(self):
            init(self)

    return init_once


#: Applied while a ``LocalRunner`` runs its stages (see ``pipeline.runner.fence``).
GLOBAL_WINDOW_ONCE = BeamPatch(GlobalWindow, "__init__", _initialised_once)


def _heap_trimmer():
    """``malloc_trim`` from glibc, or a no-op elsewhere.

    glibc keeps pages a finished stage freed (1.35 GB of free heap at the end
    of a 100k-document run before bundles were bounded); handing them back
    keeps the next stage's peak from stacking on the last one's.
    """
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0)


class _BundleSizer:
    """Input bytes for a stage's next bundle: from the largest output/input ratio and the last speed seen."""

    def __init__(self):
        self.ratio: Optional[float] = None
        self.bytes_per_second: Optional[float] = None

    def limit(self) -> int:
        if self.ratio is None:
            return FIRST_BUNDLE_BYTES
        by_output = BUNDLE_OUT_BYTES / self.ratio if self.ratio > 0 else BUNDLE_IN_BYTES
        by_time = BUNDLE_SECONDS * self.bytes_per_second if self.bytes_per_second else BUNDLE_IN_BYTES
        return int(max(MIN_BUNDLE_BYTES, min(BUNDLE_IN_BYTES, by_output, by_time)))

    def saw(self, in_bytes: int, out_bytes: int, seconds: float) -> None:
        if in_bytes:
            ratio = out_bytes / in_bytes
            self.ratio = ratio if self.ratio is None else max(self.ratio, ratio)
            self.bytes_per_second = in_bytes / seconds if seconds > 0 else None


class LocalRunner(FencedFnApiRunner):
    """``FnApiRunner`` with spilled stage outputs and bounded bundles.

    Written against Beam ``fence.TESTED_BEAM_VERSION``: get one through
    ``pipeline.runner.choose.batch_runner``, which falls back to Beam's own
    runner on any other version.

    Args:
        spill_dir: Where temp files go (anonymous files: nothing is left behind).
    """

    PATCHES = FencedFnApiRunner.PATCHES + (RELEASE_OUTPUT_STREAMS, SHORT_SAMPLING, GLOBAL_WINDOW_ONCE,
                                             UNSAMPLED_SIZES, INPUT_BY_CHUNK)

    def __init__(self, spill_dir: Optional[str] = None, **kwargs):
        super().__init__(**kwargs)
        self._trim_heap = _heap_trimmer()
        self._spill_dir = spill_dir
        self._sizers: Dict[str, _BundleSizer] = {}
        #: Bundles run, for tests and the bench: how finely stages were cut.
        self.bundles_run = 0

    def run_stages(self, stage_context, stages):
        with RUN_COLLECTOR.applied():
            return super().run_stages(stage_context, stages)

    def create_stages(self, pipeline_proto):
        """Beam's fusion, plus ``flatten.flatten_into_shuffle``: no Flatten copied only to be shuffled."""
        return translations.create_and_optimize_stages(
            copy.deepcopy(pipeline_proto), phases=flatten.phases(),
            known_runner_urns=frozenset([common_urns.primitives.FLATTEN.urn, common_urns.primitives.GROUP_BY_KEY.urn]),
            use_state_iterables=self._use_state_iterables, is_drain=self._is_drain)

    def bundle_finished(self, response: beam_fn_api_pb2.InstructionResponse) -> None:
        """Called after every bundle with its response (counters included)."""

    def _execute_bundle(self, runner_execution_context, bundle_context_manager, bundle_input):
        spilled = self._spill_outputs(runner_execution_context, bundle_context_manager)
        result = super()._execute_bundle(runner_execution_context, bundle_context_manager, bundle_input)
        for buffer in spilled:
            buffer.settle()
        self._trim_heap()
        return result

    def _spill_outputs(self, context, bundle_context_manager) -> list:
        # Beam creates a stage's output buffers on first write unless they exist: make them ours first.
        buffers = context.pcoll_buffers
        for transform_id, buffer_id in bundle_context_manager.stage_data_outputs.items():
            if buffer_id in buffers:
                continue
            kind, _ = split_buffer_id(buffer_id)
            if kind == "materialize":
                buffers[buffer_id] = SpillingListBuffer(
                    bundle_context_manager.get_input_coder_impl(transform_id), self._spill_dir)
            elif kind == "group":
                stock = bundle_context_manager.get_buffer(buffer_id, transform_id)
                if _one_group_per_key(stock._windowing):
                    buffers[buffer_id] = SpillingGroupingBuffer(
                        stock._pre_grouped_coder, stock._post_grouped_coder, self._spill_dir)
        # Also a buffer an earlier stage created (two stages feeding one flatten or shuffle).
        return [buffers[b] for b in bundle_context_manager.stage_data_outputs.values()
                if hasattr(buffers.get(b), "settle")]

    def _run_bundle(self, runner_execution_context, bundle_context_manager, bundle_input,
                    data_output, expected_timer_output, bundle_manager):
        if bundle_input.timers or expected_timer_output or not bundle_input.data:
            # Timers are set and fired per bundle by the runner: keep such a stage whole.
            return self._run_bundle_whole(runner_execution_context, bundle_context_manager, bundle_input,
                                          data_output, expected_timer_output, bundle_manager)
        sizer = self._sizers.setdefault(bundle_context_manager.stage.name, _BundleSizer())
        # _spill_outputs made every output buffer already; only ours count their bytes.
        outputs = [runner_execution_context.pcoll_buffers[b] for b in data_output.values()]
        responses, deferred, timers, watermarks = [], {}, {}, {}
        for transform_id, buffer in bundle_input.data.items():
            coder_impl = bundle_context_manager.get_input_coder_impl(transform_id)
            for piece in slice_chunks(buffer, coder_impl, sizer.limit):
                sub_input = {t: ListBuffer(bundle_context_manager.get_input_coder_impl(t))
                             for t in bundle_input.data}
                sub_input[transform_id]._inputs = piece
                before = _bytes_in(outputs)
                started = time.monotonic()
                response, sub_deferred, sub_timers, sub_watermarks = super()._run_bundle(
                    runner_execution_context, bundle_context_manager, DataInput(sub_input, {}),
                    data_output, expected_timer_output, bundle_manager)
                sizer.saw(sum(map(len, piece)), _bytes_in(outputs) - before,
                          time.monotonic() - started)
                self._count_bundle(response)
                responses.append(response)
                for t, residual in sub_deferred.items():
                    deferred.setdefault(t, ListBuffer(bundle_context_manager.get_input_coder_impl(t))).extend(residual)
                timers.update(sub_timers)
                for pcoll, mark in sub_watermarks.items():
                    watermarks[pcoll] = min(mark, watermarks.get(pcoll, mark))
        if not responses:  # an empty input still runs once, so the stage's outputs exist
            return self._run_bundle_whole(runner_execution_context, bundle_context_manager, bundle_input,
                                          data_output, expected_timer_output, bundle_manager)
        return _merged(responses), deferred, timers, watermarks

    def _run_bundle_whole(self, *args):
        outcome = super()._run_bundle(*args)
        self._count_bundle(outcome[0])
        return outcome

    def _count_bundle(self, response) -> None:
        self.bundles_run += 1
        self.bundle_finished(response)


#: The collector's thresholds while a run's stages go (Python's default: 700, 10, 10).
RUN_GC_THRESHOLDS = (10_000, 20, 20)


class _RunCollector(SharedChange):
    """Python's cyclic collector leaves what was alive when the run started (Beam, trafilatura, the
    graph: ~250,000 objects) out of its full collections while the run's stages go, and collects less often
    (``RUN_GC_THRESHOLDS``). Runs that overlap in one process share the settings (``SharedChange``): each run
    restoring the thresholds it found left those of the other run in place once both had ended.

    Each full collection walked them all again: in a 1-worker 10k-document run full collections
    took 1.05 s, 0.42 s with this. Only objects that are part of a cycle and die during the run
    are kept longer (until the run ends). Beam's runner makes and drops containers by the million, and
    with the default thresholds a young collection came every 700 of them: 2,719 young, 247 middle and 20
    full collections took 0.90 s of a 1-worker 10k-document run, 99 and 4 (and no full one) 0.30 s with these.
    Young cyclic garbage then waits for ~10,000 allocations rather than 700.
    """

    def _apply(self) -> None:
        self._thresholds = gc.get_threshold()  # the caller's, for ``_undo``
        gc.freeze()
        gc.set_threshold(*RUN_GC_THRESHOLDS)

    def _undo(self) -> None:
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()


#: Applied while a ``LocalRunner`` runs its stages.
RUN_COLLECTOR = _RunCollector()


def _one_group_per_key(windowing) -> bool:
    """Whether a batch shuffle may be emitted as one group per key, as ``SpillingGroupingBuffer`` does.

    True for the default windowing, and for ``Reshuffle``'s (global window, a
    trigger that fires on every element): Reshuffle flattens its groups again
    and restores each value's own timestamp, so how values were grouped is not
    seen. Our file reads are spread by one.
    """
    if windowing.is_default():
        return True
    return (isinstance(windowing.windowfn, GlobalWindows) and isinstance(windowing.triggerfn, Always)
            and windowing.accumulation_mode == AccumulationMode.DISCARDING)


def _bytes_in(buffers) -> int:
    return sum(getattr(buffer, "nbytes", 0) for buffer in buffers)


def _merged(responses):
    """One response for a stage run as several bundles: the last, with every bundle's metrics."""
    if len(responses) == 1:
        return responses[0]
    merged = beam_fn_api_pb2.InstructionResponse()
    merged.CopyFrom(responses[-1])
    del merged.process_bundle.monitoring_infos[:]
    merged.process_bundle.monitoring_infos.extend(
        consolidate(info for r in responses for info in r.process_bundle.monitoring_infos))
    return merged
