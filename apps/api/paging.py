"""Paging of list replies: ``offset`` (or ``page``) and ``limit``, with total_count/has_more.

v2 lists are paged (100 a page unless ``limit`` says otherwise). v1 has no paging in its
documents, so a v1 list is whole unless the call asks for a page with one of the three; a
whole list longer than ``STREAM_AFTER`` is written as it is read (``list_response``), so
neither its rows nor its JSON are ever all in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse

from installatron_gui.lib.errors import InstallatronError
from installatron_gui.lib.pages import rows

from .replies import list_or_one, streamed_list

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


def _unpaged(params: dict) -> bool:
    return all(params.get(name) in (None, "") for name in PAGING_PARAMS)


def page(queryset, params: dict, *, v1: bool = False):
    if v1 and _unpaged(params):
        items = list(queryset)
        return items, len(items), False
    limit = min(_int(params.get("limit"), "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
    offset = _int(params.get("offset"), "offset", 0)
    if params.get("page") not in (None, ""):
        offset = (max(_int(params.get("page"), "page", 1), 1) - 1) * limit
    offset = min(offset, MAX_OFFSET)
    total = queryset.count()
    items = rows(queryset, offset, offset + limit)
    return items, total, offset + len(items) < total


# A whole v1 list longer than this is streamed, read CHUNK rows at a time.
STREAM_AFTER = 1000
CHUNK = 500

Shape = Callable[[list], list]


def list_response(queryset, params: dict, shape: Shape, *, v1: bool,
                  message: str = "") -> HttpResponse:
    """The reply to a list command. ``shape`` turns a list of rows into their members (a
    list at a time, so a chunk's lookups are one query each, never one per row).

    v2, and v1 asked for a page: one page. A whole v1 list: its ids are read first (in the
    list's order), then its rows CHUNK at a time; past STREAM_AFTER rows the reply is
    streamed, so memory stays flat however many rows there are."""
    if not (v1 and _unpaged(params)):
        items, total, has_more = page(queryset, params)
        return list_or_one(params, shape(items), total=total, has_more=has_more,
                           message=message)
    ids = list(queryset.values_list("pk", flat=True))

    def chunks():
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            rows = {row.pk: row for row in queryset.filter(pk__in=part)}
            yield shape([rows[pk] for pk in part if pk in rows])

    if len(ids) <= STREAM_AFTER:
        items = [member for chunk in chunks() for member in chunk]
        return list_or_one(params, items, total=len(items), has_more=False, message=message)
    return streamed_list(chunks(), message=message)
