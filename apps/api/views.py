"""HTTP entry points of the API. They only route; commands do the work."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.accounts.views import redeem
from installatron_gui.lib.errors import InstallatronError

from . import dispatch
from . import openapi as spec
from .replies import error_reply
from .request import effective_method


@csrf_exempt  # POSTs here are API calls authenticated by key, never GUI forms
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    """``/`` and ``/index.php``: API calls, hand-off redemption, or the GUI."""
    if request.method not in {"GET", "HEAD"} or "cmd" in request.GET:
        return v1(request)  # which also refuses methods other than GET and POST
    if "s" in request.GET:
        return redeem(request, request.GET["s"])
    return redirect("home")


@csrf_exempt
def v1(request: HttpRequest) -> JsonResponse:
    """``cmd=`` calls at /server/v1 (and /, /index.php through ``index``)."""
    if request.method not in {"GET", "POST"}:
        return dispatch.run(request, None, refuse=InstallatronError(
            "Use POST (or GET for views).", errcode="invalid_method"))
    return dispatch.run(request, None)


@csrf_exempt
def v2(request: HttpRequest, path: str) -> JsonResponse:
    resolved = dispatch.resolve_v2(effective_method(request), path)
    if resolved is None:
        return dispatch.run(request, None, version="2", refuse=InstallatronError(
            "There is no such API route.", errcode="invalid_route"))
    if resolved == "method":
        return dispatch.run(request, None, version="2", refuse=InstallatronError(
            "This route does not take that method.", errcode="invalid_method"))
    cmd, params = resolved
    return dispatch.run(request, cmd, params, version="2")


def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of the v2 routes (public: it holds no secrets)."""
    if request.method not in {"GET", "HEAD"}:
        return error_reply(InstallatronError("Use GET.", errcode="invalid_method"))
    return JsonResponse(spec.build(), json_dumps_params={"ensure_ascii": False})
