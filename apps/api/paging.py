"""Paging of list replies: ``offset`` (or ``page``) and ``limit``, with total_count/has_more.

v2 lists are paged (100 a page unless ``limit`` says otherwise). v1 has no paging in its
documents, so a v1 list is whole unless the call asks for a page with one of the three.
"""

from __future__ import annotations

from installatron_gui.lib.errors import InstallatronError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Far past any real list, and well inside what the database takes for OFFSET.
MAX_OFFSET = 10**9


def _int(value, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InstallatronError(f"{name} must be a number.", errcode=f"invalid_argument_{name}") from None
    if number < 0:
        raise InstallatronError(f"{name} must not be negative.", errcode=f"invalid_argument_{name}")
    return number


PAGING_PARAMS = ("limit", "offset", "page")


def page(queryset, params: dict, *, v1: bool = False):
    if v1 and all(params.get(name) in (None, "") for name in PAGING_PARAMS):
        items = list(queryset)
        return items, len(items), False
    limit = min(_int(params.get("limit"), "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
    offset = _int(params.get("offset"), "offset", 0)
    if params.get("page") not in (None, ""):
        offset = (max(_int(params.get("page"), "page", 1), 1) - 1) * limit
    offset = min(offset, MAX_OFFSET)
    total = queryset.count()
    items = list(queryset[offset : offset + limit])
    return items, total, offset + len(items) < total
