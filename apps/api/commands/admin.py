"""logs (the audit log of API calls) and detach."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.accounts.models import USERNAME_RE, Account
from apps.installs.models import Install
from installatron_gui.lib.errors import InstallatronError

from .. import shapes
from ..dispatch import Context, command
from ..models import ApiLog
from ..paging import list_response
from ..replies import reply


def _time(value, name: str) -> datetime | None:
    """A UNIX time stamp (the API's time members) or an ISO 8601 date/time."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text), tz=UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise InstallatronError(f"{name} must be a UNIX time stamp or an ISO 8601 date.",
                                errcode=f"invalid_argument_{name}", field=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@command("logs")
def logs(ctx: Context):
    """v1 cmd=logs, v2 GET /logs: API calls, newest first.

    Filters: ``user`` (also the scope: a reseller sees its own calls, with
    ``filter-ownedaccounts`` those about its accounts too), ``cmd`` (v2) or
    ``filter-cmd``, ``errcode``,
    ``result``, ``since`` and ``until`` (UNIX time stamps or ISO dates); paged.
    """
    qs = ApiLog.objects.all()
    username = ctx.params.get("user")
    if username not in (None, ""):
        if not isinstance(username, str) or not USERNAME_RE.match(username):
            raise InstallatronError("The user must be an account name.",
                                    errcode="invalid_argument_user", field="user")
        account = Account.objects.filter(username=username).first()
        if account is None:
            qs = qs.filter(user=username)  # the log outlives deleted accounts
        else:
            ids = ctx.scope_ids(account)
            if ids is not None:
                names = Account.objects.filter(pk__in=ids).values_list("username", flat=True)
                qs = qs.for_usernames(names)
    # v1 spends ``cmd`` on the command itself: there the filter is ``filter-cmd``.
    cmd = ctx.params.get("filter-cmd") or ctx.params.get("cmd")
    if isinstance(cmd, str) and cmd and cmd.lower() != "logs":
        qs = qs.filter(cmd=cmd.lower())
    errcode = ctx.params.get("errcode")
    if isinstance(errcode, str) and errcode:
        qs = qs.filter(errcode=errcode)
    if ctx.params.get("result") not in (None, ""):
        qs = qs.filter(result=str(ctx.params["result"]).lower() in {"1", "true", "yes"})
    since = _time(ctx.params.get("since"), "since")
    until = _time(ctx.params.get("until"), "until")
    if since:
        qs = qs.filter(time__gte=since)
    if until:
        qs = qs.filter(time__lte=until)
    return list_response(qs, ctx.params, lambda items: [entry.as_api() for entry in items],
                         v1=not ctx.v2)


@command("detach")
def detach(ctx: Context):
    """v1 cmd=detach id=..., v2 POST /installs/{id}/detach.

    The reference documents only the route. We implement the meaning the issue gives:
    the install stops following automatic updates (``autoup`` becomes 0, v2 "none"), so
    the updater no longer touches it; files, database and backups are left alone.
    """
    install = ctx.get_scoped(Install.objects.select_related("account", "website"),
                             ctx.params.get("id"))
    Install.objects.filter(pk=install.pk).update(autoup=0)
    install.autoup = 0
    return reply(ctx.data(shapes.install(install, False)), message="The install was detached.")
