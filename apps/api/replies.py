"""Installatron's reply shape: result, message, errcode, status, data (+ lists, task)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse, StreamingHttpResponse

from installatron_gui.lib.errors import InstallatronError


def reply(data=None, *, message: str = "", status: int = 200, **extra) -> JsonResponse:
    body = {"result": True, "message": message, "status": status, "data": data}
    body.update(extra)
    return _json(body, status)


def list_reply(items: list, *, total: int, has_more: bool, message: str = "") -> JsonResponse:
    return reply(items, message=message, total_count=total, has_more=has_more)


def list_or_one(params: dict, items: list, *, total: int, has_more: bool,
                message: str = "") -> JsonResponse:
    """A list reply, or, for a v2 route that names one record (``GET /users/{id}``,
    ``/backups/{id}``, ``/templates/{id}``), that record as an object, as
    ``GET /installs/{id}`` answers. The commands have already answered 404 for an id
    they do not reach."""
    if params.get("__single") and len(items) == 1:
        return reply(items[0], message=message)
    return list_reply(items, total=total, has_more=has_more, message=message)


def streamed_list(chunks: Iterable[list], *, message: str = "") -> StreamingHttpResponse:
    """A list reply written as it is read: the same members as ``list_reply``, with
    ``total_count`` after ``data`` (it is known once the last row is written)."""
    encoder = DjangoJSONEncoder(ensure_ascii=False)

    def body():
        head = encoder.encode({"result": True, "message": message, "status": 200})
        yield head[:-1] + ', "data": ['
        count = 0
        for chunk in chunks:
            for member in chunk:
                yield ("," if count else "") + encoder.encode(member)
                count += 1
        yield f'], "total_count": {count}, "has_more": false}}'

    response = StreamingHttpResponse(body(), content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def content_of(response) -> bytes:
    """The body of a reply, streamed or not (a streamed one is consumed)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def error_reply(exc: InstallatronError, **extra) -> JsonResponse:
    body = {
        "result": False,
        "message": f"Error: {exc.message}",
        "errcode": exc.errcode,
        "status": exc.status,
        "data": exc.field,
    }
    body.update(extra)
    return _json(body, exc.status)


def _json(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response
