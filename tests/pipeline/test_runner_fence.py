"""The fence around Beam internals: the version check, patches that last only as long as a run, and the
stage metrics Beam's runner nests once per stage execution (issue 23)."""
import ast
import itertools
import logging

import apache_beam as beam
import pytest
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.metrics import Metrics, monitoring_infos
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner, fn_runner
from apache_beam.runners.worker import bundle_processor
from apache_beam.transforms.core import RestrictionProvider

import pipeline.runner.choose as choose
from pipeline import cli
from pipeline.runner import fence, local_runner
from pipeline.runner.fence import FencedFnApiRunner
from pipeline.runner.progress import ProgressFnApiRunner
from pipeline.runs import counters_of
from tests.run_cli import ROOT

STOCK_FINISH = bundle_processor.DataOutputOperation.finish
STOCK_CONSOLIDATE = fn_runner.consolidate_monitoring_infos


class _Countdown(RestrictionProvider):
    def initial_restriction(self, n):
        return OffsetRange(0, n)

    def create_tracker(self, restriction):
        return OffsetRestrictionTracker(restriction)

    def restriction_size(self, element, restriction):
        return restriction.size()


class _OneStepPerBundleFn(beam.DoFn):
    """Claims one position and defers the rest, so the runner runs its stage once per position,
    as it re-runs a streaming source (PeriodicImpulse) while it waits for the next fire time."""

    def __init__(self):
        self._steps = Metrics.counter("storywire", "steps")

    def process(self, n, tracker=beam.DoFn.RestrictionParam(_Countdown())):
        position = tracker.current_restriction().start
        if tracker.try_claim(position):
            self._steps.inc()
            yield position
            tracker.defer_remainder()


@pytest.mark.parametrize("runner_class", [FencedFnApiRunner, ProgressFnApiRunner])
def test_counters_read_after_a_stage_ran_thousands_of_times(runner_class):
    # Beam's own runner failed from ~1,100 executions on (RecursionError in result.metrics()).
    steps = 1_500
    runner = runner_class()
    p = beam.Pipeline(runner=runner)
    _ = p | beam.Create([steps]) | beam.ParDo(_OneStepPerBundleFn())
    result = p.run()
    result.wait_until_finish()
    assert counters_of(result)["steps"] == steps
    # A second reader sees them too (Beam's runner left one-shot generators that the first read used up).
    again = result.monitoring_metrics().query(MetricsFilter().with_name("steps"))["counters"]
    assert [c.committed for c in again] == [steps]


def _counter(value):
    return monitoring_infos.int64_user_counter("storywire", "steps", value, ptransform="Step")


def _merge_like_run_stages(executions):
    """What ``FnApiRunner.run_stages`` does with one stage's metrics after each execution."""
    so_far = [_counter(1)]
    for _ in range(executions - 1):
        so_far = fn_runner.consolidate_monitoring_infos(itertools.chain([_counter(1)], so_far))
    return list(so_far)


def test_ten_thousand_stage_executions_merge_flat_inside_the_fence():
    with pytest.raises(RecursionError):  # Beam as shipped: one generator in another per execution
        _merge_like_run_stages(10_000)
    with fence.EAGER_STAGE_METRICS.applied():
        merged = _merge_like_run_stages(10_000)
    assert [monitoring_infos.extract_counter_value(m) for m in merged] == [10_000]
    assert fn_runner.consolidate_monitoring_infos is STOCK_CONSOLIDATE


class _SeesPatchesFn(beam.DoFn):
    seen = []

    def process(self, x):
        _SeesPatchesFn.seen.append((bundle_processor.DataOutputOperation.finish is not STOCK_FINISH,
                                    fn_runner.consolidate_monitoring_infos is not STOCK_CONSOLIDATE))
        yield x


def test_patches_last_as_long_as_a_run():
    _SeesPatchesFn.seen = []
    with beam.Pipeline(runner=local_runner.LocalRunner()) as p:
        _ = p | beam.Create([1, 2, 3]) | beam.ParDo(_SeesPatchesFn())
    assert _SeesPatchesFn.seen and all(s == (True, True) for s in _SeesPatchesFn.seen)
    assert bundle_processor.DataOutputOperation.finish is STOCK_FINISH
    assert "finish" in vars(bundle_processor.DataOutputOperation)
    assert fn_runner.consolidate_monitoring_infos is STOCK_CONSOLIDATE
    assert not fence.EAGER_STAGE_METRICS.active and not local_runner.RELEASE_OUTPUT_STREAMS.active

    # The stream's runner needs only the metric fix; Beam's output streams stay as shipped.
    _SeesPatchesFn.seen = []
    with beam.Pipeline(runner=FencedFnApiRunner()) as p:
        _ = p | beam.Create([1]) | beam.ParDo(_SeesPatchesFn())
    assert _SeesPatchesFn.seen == [(False, True)]
    assert fn_runner.consolidate_monitoring_infos is STOCK_CONSOLIDATE


def test_a_failed_run_undoes_its_patches_too():
    def boom(x):
        raise ValueError("boom")

    with pytest.raises(Exception, match="boom"):
        with beam.Pipeline(runner=local_runner.LocalRunner()) as p:
            _ = p | beam.Create([1]) | beam.Map(boom)
    assert bundle_processor.DataOutputOperation.finish is STOCK_FINISH
    assert fn_runner.consolidate_monitoring_infos is STOCK_CONSOLIDATE


def test_overlapping_uses_restore_the_original_once_the_last_ends():
    patch = local_runner.RELEASE_OUTPUT_STREAMS
    with patch.applied():
        with patch.applied():
            patched = bundle_processor.DataOutputOperation.finish
        assert bundle_processor.DataOutputOperation.finish is patched  # the outer run is still going
    assert bundle_processor.DataOutputOperation.finish is STOCK_FINISH


def test_our_runners_on_the_tested_beam(monkeypatch):
    monkeypatch.setattr(choose, "_warned", False)
    assert beam.__version__ == fence.TESTED_BEAM_VERSION
    assert type(choose.batch_runner()) is ProgressFnApiRunner
    assert type(choose.stream_runner()) is FencedFnApiRunner


def test_another_beam_gets_the_stock_runner_and_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(beam, "__version__", "2.78.0")
    monkeypatch.setattr(choose, "_warned", False)
    with caplog.at_level(logging.WARNING, logger=choose.__name__):
        batch, stream = choose.batch_runner(), choose.stream_runner()
    assert type(batch) is FnApiRunner and type(stream) is FnApiRunner
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "2.78.0" in warnings[0] and "2.77.0" in warnings[0] and "memory is then unbounded" in warnings[0]


def _beam_imports(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def test_only_the_runner_folder_imports_beam_internals():
    fence_dir = ROOT / "pipeline" / "runner"
    offenders = []
    for path in sorted([*(ROOT / "transforms").rglob("*.py"), *(ROOT / "pipeline").rglob("*.py")]):
        if fence_dir in path.parents:
            continue
        for name in _beam_imports(path):
            parts = name.split(".")
            if parts[0] == "apache_beam" and (
                    parts[1:2] == ["runners"] or any(p.startswith("_") and not p.startswith("__") for p in parts)):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_a_run_on_another_beam_runs_on_the_stock_runner(tmp_path, monkeypatch, caplog, capsys):
    monkeypatch.setattr(beam, "__version__", "2.78.0")
    monkeypatch.setattr(choose, "_warned", False)
    status = cli.main(["run", "--input", f"{ROOT}/seeds/*.txt", "--output", str(tmp_path / "out"),
                       "--progress_interval", "0.1"])
    captured = capsys.readouterr()
    assert status == 0 and "[OK]" in captured.out, captured.err[-2000:]
    assert not any(line.startswith("[") for line in captured.err.splitlines())  # no progress lines
    assert [r.getMessage() for r in caplog.records if r.name == choose.__name__][0].startswith(
        "apache-beam 2.78.0 is not the tested 2.77.0")
    assert bundle_processor.DataOutputOperation.finish is STOCK_FINISH


class _StatefulFn(beam.DoFn):
    COUNT = beam.transforms.userstate.ReadModifyWriteStateSpec("count", beam.coders.VarIntCoder())

    def process(self, element, count=beam.DoFn.StateParam(COUNT)):
        yield element


def test_build_patches_answer_as_beam_does_and_last_as_long_as_building(monkeypatch):
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, TypeOptions
    from apache_beam.transforms import userstate
    stock_specs, stock_view = userstate.get_dofn_specs, PipelineOptions.view_as
    stateful, plain = _StatefulFn(), _SeesPatchesFn()
    expected = {fn: stock_specs(fn) for fn in (stateful, plain)}
    opts = PipelineOptions(["--runner", "FnApiRunner"])
    with fence.building():
        assert userstate.get_dofn_specs is not stock_specs and PipelineOptions.view_as is not stock_view
        for fn in (stateful, plain, stateful):
            assert userstate.get_dofn_specs(fn) == expected[fn]
        # Each caller gets its own sets: what one does with them is not the next caller's answer.
        userstate.get_dofn_specs(stateful)[0].clear()
        assert userstate.get_dofn_specs(stateful) == expected[stateful] and expected[stateful][0]
        assert userstate.is_stateful_dofn(stateful) and not userstate.is_stateful_dofn(plain)
        # One view per options class, sharing the options' values with every other view.
        view = opts.view_as(StandardOptions)
        assert opts.view_as(StandardOptions) is view and view.runner == "FnApiRunner"
        view.streaming = True
        assert opts.view_as(TypeOptions).pipeline_type_check and opts.view_as(StandardOptions).streaming
    assert userstate.get_dofn_specs is stock_specs and PipelineOptions.view_as is stock_view
    assert opts.view_as(StandardOptions).streaming and opts.view_as(StandardOptions) is not view
    # On another Beam release the build runs on Beam as shipped.
    monkeypatch.setattr(beam, "__version__", "2.78.0")
    with fence.building():
        assert userstate.get_dofn_specs is stock_specs and PipelineOptions.view_as is stock_view


class _TwoArgFn(beam.DoFn):
    def process(self, element, side=None, *args, scale=2):
        yield element


def test_a_methods_signature_is_beams_own_and_read_once_while_building():
    """``SIGNATURES_ONCE``: a bound method's signature is remembered by its function, whichever object it is
    bound to; what is no bound method is asked of Beam every time. Outside ``building``, Beam as shipped."""
    import inspect

    from apache_beam.transforms import core
    stock = core.get_signature
    first, second = _TwoArgFn(), _TwoArgFn()
    expected = stock(first.process)
    assert list(expected.parameters) == ["element", "side", "args", "scale"]
    calls = []

    def counting(func):
        calls.append(func)
        return stock(func)

    core.get_signature = counting
    try:
        with fence.building():
            assert core.get_signature is not counting
            assert core.get_signature(first.process) == expected
            assert core.get_signature(second.process) is core.get_signature(first.process)
            assert core.get_function_args_defaults(second.process) == (["element", "side"], [None])
            # A plain function and a function of the class (not bound) are Beam's every time.
            assert core.get_signature(_TwoArgFn.process) == inspect.signature(_TwoArgFn.process)
            assert core.get_signature(_TwoArgFn.process) == inspect.signature(_TwoArgFn.process)
        assert core.get_signature is counting
        assert len(calls) == 3  # the bound method once, the class's function twice
    finally:
        core.get_signature = stock
