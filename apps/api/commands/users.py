"""guixfer, edituser, deleteuser, users."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from apps.accounts import services
from apps.accounts.errors import AccountError
from apps.accounts.models import Account
from apps.accounts.validation import check_username, mask_path

from ..dispatch import Context, command
from ..paging import list_response
from ..replies import reply
from ..v2names import for_version


def gui_base(ctx: Context) -> str:
    if settings.GUI_URL:
        return settings.GUI_URL.rstrip("/")
    if ctx.via == "cli":
        return "http://localhost"  # no request to take the host from; set GUI_URL
    return ctx.request.build_absolute_uri("/").rstrip("/")


def user_data(account: Account, *, v2: bool) -> dict:
    """An account as the users API shows it; credentials never leave the server."""
    websites = []
    for ws in account.websites.all():
        websites.append(
            {
                "id": ws.ws_id,
                "label": ws.label,
                "path": mask_path(ws.path or ""),
                "vhosts": ws.vhosts,
                "email": ws.email,
                "uid": ws.uid,
                "gid": ws.gid,
                "db_mode": ws.db_mode,
                "vhost_ip": ws.vhost_ip,
                "databases": [
                    {k: v for k, v in db.items() if k != "pass"} for db in ws.databases or []
                ],
            }
        )
    data = {
        "id": account.username,
        "user": account.username,
        "type": account.kind,
        "reseller": account.owner.username if account.owner_id else "",
        "language": account.language,
        "email": account.email,
        "package": account.package,
        "suspended": "yes" if account.suspended else "no",
        "websites": websites,
    }
    return for_version(data, v2, "account")


@command("guixfer")
def guixfer(ctx: Context):
    """A one-time GUI session id for a user, reseller or the admin."""
    params = ctx.params
    if params.get("user") in (None, "") and params.get("websites") not in (None, False, ""):
        # 3.17.1's example sends no user: its websites name the account
        params = {**params, "user": services.user_for_websites(params["websites"],
                                                                ctx.acting())}
    header = services.parse_header(params)
    account = services.apply_header(header, acting=ctx.acting())
    if not account.is_active:
        raise AccountError("This account is suspended.", errcode="suspended_user")
    raw = services.create_handoff(account, language=header.language or account.language)
    url = f"{gui_base(ctx)}{reverse('api:index_php')}?s={raw}"
    return reply(url, session_id=raw)


@command("edituser")
def edituser(ctx: Context):
    """v1 cmd=edituser, v2 POST /users/{id}, and POST /users with the user in ``user``
    (or ``id``)."""
    if ctx.params.get("user") in (None, "") and isinstance(ctx.params.get("id"), str):
        ctx.params["user"] = ctx.params["id"]
    header = services.parse_header(ctx.params)
    account = services.apply_header(header, acting=ctx.acting())
    return reply(user_data(account, v2=ctx.v2), message="The user was saved.")


@command("deleteuser")
def deleteuser(ctx: Context):
    username = ctx.params.get("user")
    if username in (None, ""):
        raise AccountError("The user argument is required.", errcode="empty_argument_user")
    username = check_username(username)
    account = Account.objects.filter(username=username).first()
    acting = ctx.acting()
    if account is None or not acting.manages(account):
        raise AccountError(f"There is no user '{username}'.", errcode="invalid_argument_user",
                           status=404)
    deleted = services.delete_account(account)
    return reply(deleted, message="The user was deleted.")


@command("users")
def users(ctx: Context):
    """v1 cmd=users, v2 GET /users and GET /users/{user}.

    Without ``user``: every account below the main admin. With ``user``: that account
    (404 if unknown), and with ``filter-ownedaccounts`` also every account it owns.
    """
    accounts = Account.objects.select_related("owner").prefetch_related("websites")
    username = ctx.params.get("user")
    if username in (None, ""):
        accounts = accounts.owned_by(ctx.acting())
    else:
        account = ctx.principal()
        ids = {account.pk}
        if ctx.owned_accounts():
            ids |= account.descendant_ids() if not account.is_admin else set(
                Account.objects.values_list("pk", flat=True))
        accounts = accounts.filter(pk__in=ids)
    q = ctx.params.get("q")
    if isinstance(q, str) and q:
        accounts = accounts.filter(username__icontains=q)
    kind = ctx.params.get("type")
    if kind in {"user", "reseller"}:
        accounts = accounts.filter(kind=kind)
    return list_response(accounts, ctx.params,
                         lambda items: [user_data(a, v2=ctx.v2) for a in items], v1=not ctx.v2)
