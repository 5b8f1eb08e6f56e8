"""Turn an HTTP request into Installatron's flat parameter dict.

Panels send JSON bodies (often with a form content type, as PHP's curl does with a
string body), form-urlencoded bodies with PHP bracket arrays, or query strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest

from installatron_gui.lib.errors import InstallatronError
from installatron_gui.lib.phpform import FormError, parse_pairs


class ApiError(InstallatronError):
    """A request we refuse before any command runs."""

    errcode = "invalid_argument_request"


@dataclass
class ApiCall:
    method: str
    params: dict = field(default_factory=dict)
    # "1" or "2": which member names and enum values the reply uses
    version: str = "1"
    key: str | None = None
    # A body that could not be read: answered only after the key is checked, so that
    # strangers learn nothing about what we parse.
    error: ApiError | None = None


def _body_params(request: HttpRequest) -> dict:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise ApiError("The request body is too large.", errcode="request_too_large")
    body = request.body
    if not body:
        return {}
    if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise ApiError("The request body is too large.", errcode="request_too_large")
    content_type = (request.content_type or "").lower()
    text = body.decode("utf-8", errors="replace").strip()
    if "json" in content_type or text.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            raise ApiError(
                "The request body is not valid JSON.", errcode="invalid_argument_json"
            ) from None
        if not isinstance(data, dict):
            raise ApiError(
                "The request body must be a JSON object.", errcode="invalid_argument_json"
            )
        return data
    try:
        if content_type.startswith("multipart/"):
            # curl -F: Django parses the parts; files are not part of any command.
            return parse_pairs((k, v) for k, vs in request.POST.lists() for v in vs)
        return parse_pairs(parse_qsl(text, keep_blank_values=True, max_num_fields=5000))
    except (FormError, ValueError) as exc:
        raise ApiError(str(exc), errcode="invalid_argument_request") from None


def effective_method(request: HttpRequest) -> str:
    """The HTTP method, after X-HTTP-Method-Override on a POST."""
    method = request.method.upper()
    override = request.headers.get("X-HTTP-Method-Override", "").upper()
    if method == "POST" and override in {"GET", "POST", "DELETE", "PUT", "PATCH"}:
        return override
    return method


def parse_call(request: HttpRequest) -> ApiCall:
    """Method override, key, version and the merged parameters (body wins over query)."""
    method = effective_method(request)
    try:
        query = parse_pairs(parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True))
    except (FormError, ValueError) as exc:
        raise ApiError(str(exc)) from None
    header_key = request.headers.get("X-API-Key")
    body: dict = {}
    body_error: ApiError | None = None
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        try:
            body = _body_params(request)
        except ApiError as exc:
            if exc.status == 413:
                raise
            body_error = exc
    # Names with two leading underscores are the router's own (fixed route members).
    params = {k: v for k, v in {**query, **body}.items()
              if not (isinstance(k, str) and k.startswith("__"))}
    key = header_key or params.get("key") or params.get("key2")
    call = ApiCall(method=method, params=params, key=key if isinstance(key, str) else None)
    version = request.headers.get("X-API-Version") or params.get("api_version")
    if version:
        call.version = "2" if str(version).startswith("2") else "1"
    if body_error is not None:
        call.params, call.error = {}, body_error
    return call
