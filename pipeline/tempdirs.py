"""``sweep_beam_temp_dirs``: remove the empty ``beam-pipeline-temp*`` folders killed runs left.

Every ``beam.Pipeline`` makes ``<tmp>/beam-pipeline-temp<random>`` when it is built
and removes it when ``run()`` returns, so a run that is SIGKILLed leaves it behind,
one folder per kill. Beam only uses the folder while building cross-language
transforms, so one that is empty and older than ``max_age_s`` belongs to nobody
any more: the next run removes it. Non-empty folders and other users' are left alone.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from typing import Optional

__all__ = ["sweep_beam_temp_dirs"]

_LOG = logging.getLogger(__name__)
PREFIX = "beam-pipeline-temp"


def sweep_beam_temp_dirs(max_age_s: float = 600.0, root: Optional[str] = None) -> int:
    """Remove empty ``beam-pipeline-temp*`` folders of this user older than ``max_age_s``; returns how many."""
    root = root or tempfile.gettempdir()
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(root))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or info.st_uid != os.getuid() or now - info.st_mtime < max_age_s:
                continue
            os.rmdir(entry.path)  # only ever removes an empty folder
            removed += 1
        except OSError:
            continue  # not empty, or gone already
    if removed:
        _LOG.info("removed %d empty %s* folders left by killed runs", removed, PREFIX)
    return removed
