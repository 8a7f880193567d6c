"""One spelling per option, and no option silently ignored.

storywire's pipeline options are spelt with underscores (``--max_bytes``, as
Beam spells its own) and the analyst tools' with dashes (``--min-size``).
``normalize_argv`` accepts either spelling of every option and rewrites it to
the one the parser knows, so ``--help`` still lists each option once. An
option that neither the sub-command nor (for ``run`` and ``stream``) Beam
knows is an error naming the closest valid option: before, Beam warned and
dropped it, and ``--allow-private-hosts`` ran a whole job without it.
"""
from __future__ import annotations

import argparse
import difflib
import functools
import logging
from typing import Dict, List

from apache_beam.options import pipeline_options as po

from pipeline.options import StorywireOptions

__all__ = ["normalize_argv", "UnknownOptionError", "beam_options"]

_LOG = logging.getLogger(__name__)


class UnknownOptionError(ValueError):
    """An option no parser knows; the message names the closest valid one."""


def _key(option: str) -> str:
    return option.lstrip("-").replace("-", "_").lower()


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def _options_of(parser: argparse.ArgumentParser) -> Dict[str, bool]:
    """``{option string: whether it takes a value}`` of a parser."""
    return {o: _takes_value(action) for action in parser._actions  # noqa: SLF001 - no public list
            for o in action.option_strings}


@functools.lru_cache(maxsize=1)
def beam_options() -> Dict[str, bool]:
    """Every option of Beam's own PipelineOptions classes (``--runner``, ``--project``, ...)."""
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    try:
        parser = po._BeamArgumentParser(allow_abbrev=False)  # noqa: SLF001 - Beam's options need its parser
    except AttributeError:  # a Beam without it: a plain parser takes all but value-provider options
        parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False)
    for cls in sorted(set(subclasses(po.PipelineOptions)), key=lambda c: c.__qualname__):
        if issubclass(cls, StorywireOptions):
            continue
        try:
            cls._add_argparse_args(parser)  # noqa: SLF001 - how Beam itself collects them
        except (argparse.ArgumentError, TypeError, AttributeError) as exc:
            _LOG.debug("skipping Beam options of %s: %s", cls.__name__, exc)
    return _options_of(parser)


def normalize_argv(argv: List[str], command_parser: argparse.ArgumentParser, with_beam: bool) -> List[str]:
    """``argv`` (after the sub-command) with every option in its canonical spelling.

    Args:
        argv: The sub-command's arguments.
        command_parser: The sub-command's parser (its options win over Beam's).
        with_beam: Whether Beam's own options pass through (``run``, ``stream``).

    Raises:
        UnknownOptionError: for an option neither knows.
    """
    takes_value = dict(beam_options()) if with_beam else {}
    takes_value.update(_options_of(command_parser))
    known = {_key(o): o for o in takes_value if o.startswith("--")}
    out = []
    expect_value = False
    for i, token in enumerate(argv):
        if expect_value or token == "--" or not token.startswith("--"):
            if token == "--" and not expect_value:
                return out + argv[i:]
            out.append(token)
            # A short option (-c SQL) takes the next token as its value, whatever it looks like.
            expect_value = (not expect_value and token.startswith("-") and token != "-"
                            and "=" not in token and takes_value.get(token, False) and len(token) == 2)
            continue
        name, sep, value = token.partition("=")
        canonical = known.get(_key(name))
        if canonical is None:
            close = difflib.get_close_matches(_key(name), list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {known[close[0]]}?" if close else ""
            raise UnknownOptionError(f"unknown option {name}{hint}")
        out.append(canonical + sep + value)
        expect_value = not sep and takes_value[canonical]
    return out
