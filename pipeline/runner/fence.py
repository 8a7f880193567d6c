"""The fence around Beam's private code: the Beam release it was written for, and its patches.

``pipeline/runner/`` is the only place storywire reaches into Beam internals
(private ``FnApiRunner`` methods, its buffers, two patched Beam names). That
code holds for the Beam release it was tested on, ``TESTED_BEAM_VERSION``;
``pipeline.runner.choose`` hands out our runners only there.

A patch of a Beam name is a ``BeamPatch``: ``FencedFnApiRunner`` applies its
runner's patches while ``run_stages`` runs and undoes them after, so Beam code
outside a run (and after it) sees Beam as shipped. Runs that overlap in one
process share one application: the last to finish restores the original. A
``SharedChange`` is that rule for any change a run makes to its process (a
``BeamPatch`` is one; the local runner's collector settings another).
``building`` applies ``BUILD_PATCHES`` while a local run's graph is built and run
(Beam's own answers, computed once rather than again and again).
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any, Callable, Tuple

import apache_beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.portability.fn_api_runner import fn_runner
from apache_beam.transforms import core, userstate

__all__ = ["TESTED_BEAM_VERSION", "beam_version", "beam_is_tested", "SharedChange", "BeamPatch", "FencedFnApiRunner",
           "EAGER_STAGE_METRICS", "DOFN_SPECS_ONCE", "OPTION_VIEWS_ONCE", "SIGNATURES_ONCE", "BUILD_PATCHES",
           "building"]

#: The apache-beam release the runner code in this folder was written and tested against.
TESTED_BEAM_VERSION = "2.77.0"

_MISSING = object()


def beam_version() -> str:
    return apache_beam.__version__


def beam_is_tested() -> bool:
    """Whether the installed Beam is the one our runner's use of its internals was tested on."""
    return beam_version() == TESTED_BEAM_VERSION


class SharedChange:
    """A change to the process, made while at least one run uses it: the first user makes it, the last to
    finish undoes it, so runs that overlap in one process share one application. Subclasses say what
    ``_apply`` and ``_undo`` do."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0

    @property
    def active(self) -> bool:
        with self._lock:
            return self._users > 0

    @contextlib.contextmanager
    def applied(self):
        with self._lock:
            if self._users == 0:
                self._apply()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._undo()

    def _apply(self) -> None:
        raise NotImplementedError

    def _undo(self) -> None:
        raise NotImplementedError


class BeamPatch(SharedChange):
    """One attribute of a Beam module or class, replaced while at least one run uses it.

    Args:
        owner: The module or class that holds the attribute.
        name: The attribute.
        make: Builds the replacement from the original.
    """

    def __init__(self, owner: Any, name: str, make: Callable[[Any], Any]):
        super().__init__()
        self.owner, self.name = owner, name
        self._make = make
        self._own = _MISSING  # what ``owner`` itself held (a class may inherit the attribute)

    def _apply(self) -> None:
        self._own = vars(self.owner).get(self.name, _MISSING)
        setattr(self.owner, self.name, self._make(getattr(self.owner, self.name)))

    def _undo(self) -> None:
        if self._own is _MISSING:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self._own)
        self._own = _MISSING


def _eager(consolidate):
    def consolidate_now(metrics, *args, **kwargs):
        return list(consolidate(metrics, *args, **kwargs))

    return consolidate_now


#: Beam 2.77's ``FnApiRunner.run_stages`` keeps each stage's metrics, and the whole pipeline's
#: (under ''), as ``consolidate(chain(this_bundle, so_far))``. ``consolidate`` is a generator, so
#: every stage execution wraps the previous generator in a new one, and nothing is read until
#: ``result.metrics()``, which then recurses once per execution. A streaming source re-runs its
#: stage many times a second (PeriodicImpulse: ~65/s in our stream, ~300/s alone), so a bounded
#: stream of more than ~20 s failed with RecursionError after writing its data (issue 23; ~1,100
#: executions are enough). Consolidated into a list at once, each stage's metrics stay flat; and a
#: second reader (``result.monitoring_metrics()`` after ``result.metrics()``) no longer finds them
#: used up. A batch stage that ``LocalRunner`` cuts into many bundles is one execution here: it
#: merges its bundles' metrics itself (``local_runner._merged``), flat.
EAGER_STAGE_METRICS = BeamPatch(fn_runner, "consolidate_monitoring_infos", _eager)


def _specs_once(get_dofn_specs):
    """``userstate.get_dofn_specs`` remembered per DoFn object.

    It reads every method of a DoFn (``inspect.signature`` of each, ~30 a DoFn) to find state and
    timer parameters, and Beam asks it six times or more for each of our ~240 ParDos while a graph is
    applied, turned into its proto and fused: 1,934 calls and 0.81 s of a 5.6 s run on the seeds. A
    DoFn's methods do not change; each caller gets its own copy of the sets.
    """
    found = weakref.WeakKeyDictionary()

    def specs_once(dofn):
        try:
            states, timers = found[dofn]
        except KeyError:
            states, timers = found[dofn] = get_dofn_specs(dofn)
        except TypeError:  # not hashable or not weakly referable: asked every time, as Beam does
            states, timers = get_dofn_specs(dofn)
        return set(states), set(timers)

    return specs_once


#: Applied while a local run's graph is built and run (``building``).
DOFN_SPECS_ONCE = BeamPatch(userstate, "get_dofn_specs", _specs_once)


def _views_once(view_as):
    """``PipelineOptions.view_as`` that builds each options class's view of an options object once.

    Every view is a new options object, and making one builds an argument parser with every Beam
    option (~500 ``add_argument`` calls) and parses the command line again; ``Pipeline.apply``
    asks for one twice per transform: 1,821 views and 0.58 s of a 5.6 s run on the seeds. Views of
    one object share its option values (``_all_options``), so the first view serves every later call.
    """
    views = weakref.WeakKeyDictionary()

    def view_once(self, cls):
        try:
            mine = views.setdefault(self, {})
        except TypeError:
            return view_as(self, cls)
        view = mine.get(cls)
        if view is None:
            view = mine[cls] = view_as(self, cls)
        return view

    return view_once


#: Applied while a local run's graph is built and run (``building``).
OPTION_VIEWS_ONCE = BeamPatch(PipelineOptions, "view_as", _views_once)


def _signatures_once(get_signature):
    """``core.get_signature`` (Beam's ``inspect.signature``) remembered per method.

    Beam reads a DoFn method's signature each time it asks for the method's arguments
    (``core.get_function_arguments``): ~19,000 times while a run on the seeds builds, translates and fuses
    its graph and sets up its bundles, ~0.2 s of a 1.6 s run after its imports. A bound method is a new
    object at every attribute access, so it is remembered by its function: the same parameters, ``self``
    left out, whichever object it is bound to (a signature is immutable). Anything else is asked every
    time, as Beam does.
    """
    found = weakref.WeakKeyDictionary()

    def signature_once(func):
        function = getattr(func, "__func__", None)
        if function is None or getattr(func, "__self__", None) is None:
            return get_signature(func)
        try:
            return found[function]
        except KeyError:
            signature = found[function] = get_signature(func)
            return signature
        except TypeError:  # not weakly referable: asked every time
            return get_signature(func)

    return signature_once


#: Applied while a local run's graph is built and run (``building``).
SIGNATURES_ONCE = BeamPatch(core, "get_signature", _signatures_once)
BUILD_PATCHES: Tuple[BeamPatch, ...] = (DOFN_SPECS_ONCE, OPTION_VIEWS_ONCE, SIGNATURES_ONCE)


@contextlib.contextmanager
def building():
    """``BUILD_PATCHES`` in place, on the Beam release they were tested on (else Beam as shipped)."""
    with contextlib.ExitStack() as patches:
        if beam_is_tested():
            for patch in BUILD_PATCHES:
                patches.enter_context(patch.applied())
        yield


class FencedFnApiRunner(FnApiRunner):
    """Beam's ``FnApiRunner`` with its ``PATCHES`` in place while it runs a pipeline's stages, and only then."""

    PATCHES: Tuple[BeamPatch, ...] = (EAGER_STAGE_METRICS,)

    def run_stages(self, stage_context, stages):
        with contextlib.ExitStack() as patches:
            for patch in self.PATCHES:
                patches.enter_context(patch.applied())
            return super().run_stages(stage_context, stages)
