"""A page's metadata as trafilatura reads it, less what a story record never holds.

trafilatura's ``extract_metadata`` ends by looking for the page's categories and tags among its links
and for a licence in its footer: on the 181 AEB pages ~0.35 s of its ~1 s, a tenth of HTML extraction,
for three fields nothing here keeps. ``page_metadata`` makes its other calls, in the same order and on
the same tree. (Categories and tags that the page's meta tags or JSON-LD name stay, as they cost nothing.)

It calls trafilatura's metadata helpers, which are not its public API: this module is the one place
that does. On a trafilatura without them, ``page_metadata`` is ``extract_metadata`` itself, so a run
is slower, never different. ``tests/extract/test_htmlextract.py`` holds the two equal, field by field.
"""
from __future__ import annotations

import functools
import logging
from typing import Optional

__all__ = ["page_metadata", "trimmed"]

_HELPERS = ("META_URL", "check_authors", "examine_meta", "extract_author", "extract_domain", "extract_meta_json",
            "extract_sitename", "extract_title", "extract_url", "find_date", "set_date_params")


@functools.lru_cache(maxsize=1)
def _metadata_module():
    """``trafilatura.metadata`` (heavy: imported by the first page, not with this module), or None when it
    lacks a helper ``page_metadata`` calls."""
    from trafilatura import metadata

    return metadata if all(hasattr(metadata, name) for name in _HELPERS) else None


def trimmed() -> bool:
    """Whether ``page_metadata`` skips categories, tags and licence (False: it is ``extract_metadata``)."""
    return _metadata_module() is not None


def page_metadata(tree, url: Optional[str], date_params: Optional[dict], extensive: bool,
                  author_blacklist: Optional[set] = None):
    """trafilatura's ``extract_metadata(tree, url, date_params, extensive, author_blacklist)``, a
    ``trafilatura.settings.Document``, without searching the page for categories, tags and a licence.

    ``bare_extraction`` passes its options' ``url``, ``date_params``, ``fast`` and ``author_blacklist``.
    Like it, this leaves ``tree`` as it was.
    """
    m = _metadata_module()
    if m is None:
        from trafilatura.metadata import extract_metadata

        return extract_metadata(tree, url, date_params, extensive, author_blacklist)
    author_blacklist = author_blacklist or set()
    date_config = {**date_params} if date_params else m.set_date_params(extensive)
    metadata = m.examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = m.extract_meta_json(tree, metadata)
    except Exception as err:  # noqa: BLE001 - as trafilatura: its JSON-LD reader has bugs of its own
        logging.getLogger("trafilatura.metadata").warning("error in JSON metadata extraction: %s", err)
    if not metadata.title:
        metadata.title = m.extract_title(tree)
    if metadata.author and author_blacklist:
        metadata.author = m.check_authors(metadata.author, author_blacklist)
    if not metadata.author:
        metadata.author = m.extract_author(tree)
    if metadata.author and author_blacklist:
        metadata.author = m.check_authors(metadata.author, author_blacklist)
    if not metadata.url:
        metadata.url = m.extract_url(tree, url)
    if metadata.url:
        metadata.hostname = m.extract_domain(metadata.url, fast=True)
    date_config["url"] = metadata.url
    metadata.date = m.find_date(tree, **date_config)
    if not metadata.sitename:
        metadata.sitename = m.extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")  # a Twitter handle
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        found = m.META_URL.match(metadata.url)
        if found:
            metadata.sitename = found[1]
    metadata.filedate = date_config.get("max_date")
    metadata.clean_and_trim()
    return metadata
