"""The fence around Beam's private code: the Beam release it was written for, and its patches.

``pipeline/runner/`` is the only place storywire reaches into Beam internals
(private ``FnApiRunner`` methods, its buffers, two patched Beam names). That
code holds for the Beam release it was tested on, ``TESTED_BEAM_VERSION``;
``pipeline.runner.choose`` hands out our runners only there.

A patch of a Beam name is a ``BeamPatch``: ``FencedFnApiRunner`` applies its
runner's patches while ``run_stages`` runs and undoes them after, so Beam code
outside a run (and after it) sees Beam as shipped. Runs that overlap in one
process share one application: the last to finish restores the original.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Tuple

import apache_beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.portability.fn_api_runner import fn_runner

__all__ = ["TESTED_BEAM_VERSION", "beam_version", "beam_is_tested", "BeamPatch", "FencedFnApiRunner",
           "EAGER_STAGE_METRICS"]

#: The apache-beam release the runner code in this folder was written and tested against.
TESTED_BEAM_VERSION = "2.77.0"

_MISSING = object()


def beam_version() -> str:
    return apache_beam.__version__


def beam_is_tested() -> bool:
    """Whether the installed Beam is the one our runner's use of its internals was tested on."""
    return beam_version() == TESTED_BEAM_VERSION


class BeamPatch:
    """One attribute of a Beam module or class, replaced while at least one run uses it.

    Args:
        owner: The module or class that holds the attribute.
        name: The attribute.
        make: Builds the replacement from the original.
    """

    def __init__(self, owner: Any, name: str, make: Callable[[Any], Any]):
        self.owner, self.name = owner, name
        self._make = make
        self._lock = threading.Lock()
        self._users = 0
        self._own = _MISSING  # what ``owner`` itself held (a class may inherit the attribute)

    @property
    def active(self) -> bool:
        with self._lock:
            return self._users > 0

    @contextlib.contextmanager
    def applied(self):
        with self._lock:
            if self._users == 0:
                self._own = vars(self.owner).get(self.name, _MISSING)
                setattr(self.owner, self.name, self._make(getattr(self.owner, self.name)))
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
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


class FencedFnApiRunner(FnApiRunner):
    """Beam's ``FnApiRunner`` with its ``PATCHES`` in place while it runs a pipeline's stages, and only then."""

    PATCHES: Tuple[BeamPatch, ...] = (EAGER_STAGE_METRICS,)

    def run_stages(self, stage_context, stages):
        with contextlib.ExitStack() as patches:
            for patch in self.PATCHES:
                patches.enter_context(patch.applied())
            return super().run_stages(stage_context, stages)
