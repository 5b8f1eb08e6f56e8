"""The administrator's SSH host keys page: what we trust, confirming a new key by the
fingerprint a refusal showed, and forgetting a host's keys (after a reinstall)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .base import TransportError
from .hostkeys import confirm_host_key
from .models import KnownHost


def _admin_only(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise Http404


def _port(value: str) -> int | None:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


@login_required
@require_http_methods(["GET", "POST"])
def host_keys(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    values = {"host": request.POST.get("host", request.GET.get("host", "")).strip().lower(),
              "port": request.POST.get("port", request.GET.get("port", "22")).strip(),
              "fingerprint": request.POST.get("fingerprint",
                                              request.GET.get("fingerprint", "")).strip()}
    error = ""
    if request.method == "POST":
        port = _port(values["port"])
        if not values["host"] or port is None:
            error = _("Give the host and a port between 1 and 65535.")
        elif not values["fingerprint"].startswith("SHA256:"):
            error = _("Give the SHA256:… fingerprint exactly as the refusal showed it.")
        else:
            try:
                seen = confirm_host_key(values["host"], port, values["fingerprint"])
            except TransportError as exc:
                error = exc.message
            else:
                messages.success(request, _("%(where)s %(fp)s is trusted.") % {
                    "where": f"{values['host']}:{port}", "fp": seen})
                return redirect("transports:host_keys")
    rows = KnownHost.objects.select_related("website").order_by("host", "port", "key_type")
    return render(request, "transports/host_keys.html",
                  {"rows": rows, "values": values, "error": error})


@login_required
@require_http_methods(["GET", "POST"])
def forget(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    row = KnownHost.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    if request.method == "POST":
        row.delete()
        messages.success(request, _("The key was forgotten: the next connection to %(where)s "
                                    "must be confirmed again.") % {
                                        "where": f"{row.host}:{row.port}"})
        return redirect("transports:host_keys")
    return render(request, "transports/forget.html", {"row": row})
