"""One dispatcher for v1 ``cmd=`` calls and v2 REST routes.

Both styles end in the same command functions, which call the same services as the GUI.
The dispatcher also owns what every command shares: who the call is about and what it
may reach (``Context.principal`` and ``Context.scoped``), dryrun, the v2 renames
(``Context.data``) and the audit log (``ApiLog``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, JsonResponse

from apps.accounts import keys
from apps.accounts.models import USERNAME_RE, Account
from apps.accounts.services import API_KEY_FAILURE, address_is_throttled, record_login_failure
from apps.accounts.validation import check_username
from installatron_gui.lib.errors import InstallatronError

from . import v2names
from .models import ApiLog
from .replies import error_reply
from .request import ApiCall, ApiError, parse_call

log = logging.getLogger(__name__)

_NO = {"0", "no", "false", "off"}


def is_yes(value) -> bool:
    """The reference's "when defined" flags: present and not an explicit no."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in _NO


@dataclass
class Context:
    request: HttpRequest
    call: ApiCall
    cmd: str
    # "http" or "cli" (the command-line API, authenticated by running on the server)
    via: str = "http"
    # 0, or the reference's dryrun=1 (input checks) / dryrun=2 (every check); see run()
    dryrun: int = 0

    @property
    def params(self) -> dict:
        return self.call.params

    @property
    def v2(self) -> bool:
        return self.call.version == "2"

    def acting(self) -> Account:
        """Who the call acts as: the key holder, i.e. the main administrator."""
        return Account.objects.main_admin()

    def data(self, data, kind: str = "install"):
        """Reply data built with v1 member names, as this call's API version shows it."""
        return v2names.for_version(data, self.v2, kind)

    # ------------------------------------------------------------------ scoping

    def principal(self) -> Account:
        """The account the call is about: its ``user``, or the main admin when none is given.

        An unknown ``user`` is 404 ``invalid_argument_user``. Commands that create the user
        from the request header apply the header first, then ask.
        """

        username = self.params.get("user")
        if username in (None, ""):
            return self.acting()
        username = check_username(username)
        account = Account.objects.filter(username=username).first()
        if account is None:
            raise InstallatronError(f"There is no user '{username}'.",
                                    errcode="invalid_argument_user", status=404, field="user")
        return account

    def owned_accounts(self) -> bool:
        """``filter-ownedaccounts``: also reach the accounts the principal owns."""
        return is_yes(self.params.get("filter-ownedaccounts"))

    def scope_ids(self, principal: Account | None = None) -> set[int] | None:
        """Account ids whose objects the call reaches; None means every account.

        The main admin reaches everything. A reseller reaches its own objects, and with
        ``filter-ownedaccounts`` also those of every account below it (recursively). A
        website owner reaches only its own.
        """
        principal = principal or self.principal()
        if principal.is_admin:
            return None
        ids = {principal.pk}
        if principal.is_reseller and self.owned_accounts():
            ids |= principal.descendant_ids()
        return ids

    def scoped(self, queryset, field: str = "account", principal: Account | None = None):
        """``queryset`` cut down to what the call reaches (``field`` points at the owner)."""
        ids = self.scope_ids(principal)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{field}_id__in": ids})

    def get_scoped(self, queryset, pk, *, what: str = "install", field: str = "account",
                   errcode: str = "invalid_argument_id", principal: Account | None = None):
        """One object the call reaches, or 404: another owner's object looks like none."""
        if not isinstance(pk, str | int) or isinstance(pk, bool) or str(pk) == "":
            raise InstallatronError("The id argument is required.", errcode="empty_argument_id",
                                    field="id")
        obj = self.scoped(queryset, field, principal).filter(pk=str(pk)).first()
        if obj is None:
            raise InstallatronError(f"There is no {what} '{str(pk)[:32]}'.", errcode=errcode,
                                    status=404, field="id")
        return obj


CommandFn = Callable[[Context], JsonResponse]
COMMANDS: dict[str, CommandFn] = {}
# v1 names that are the same command under another name.
ALIASES = {"upgrade": "update", "login": "guixfer"}


# Commands that manage their own transactions: they wait for a worker, which only sees
# rows once they are committed (install and uninstall without ``background``).
NON_ATOMIC: set[str] = set()


def command(name: str, *, atomic: bool = True):
    def register(fn: CommandFn) -> CommandFn:
        COMMANDS[name] = fn
        if not atomic:
            NON_ATOMIC.add(name)
        return fn

    return register


# Every documented command. Those whose engine has not landed yet answer a clear error.
DOCUMENTED = {
    "browser", "install", "import", "migrate", "installs", "view", "sync", "edit", "update",
    "backup", "template", "clone", "createadminsso", "detach", "uninstall", "backups",
    "editbackup", "restore", "restoreto", "delete", "importbackup", "tasks", "templates",
    "edittemplate", "deletetemplate", "users", "edituser", "guixfer", "deleteuser", "logs",
}  # fmt: skip


# Commands the reference documents a dryrun parameter for.
DRYRUN_CMDS = {"install", "import", "migrate", "update", "clone", "restore", "restoreto"}
# Commands that only read: the only ones a v1 call may make with GET.
VIEW_CMDS = {"browser", "installs", "backups", "templates", "users", "tasks", "logs", "view"}
# Commands whose ``id`` is an install id (recorded in the audit log).
INSTALL_CMDS = {
    "install", "installs", "view", "sync", "edit", "update", "backup", "template", "clone",
    "createadminsso", "detach", "uninstall", "import", "migrate",
}  # fmt: skip
_INSTALL_ID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")


def _refusal(message: str, errcode: str, status: int | None = None) -> JsonResponse:
    """A refusal before any command runs; its status is the errcode's (``STATUSES``)."""
    return error_reply(InstallatronError(message, errcode=errcode, status=status))


def run(request: HttpRequest, cmd: str | None, route_params: dict | None = None,
        version: str | None = None, refuse: InstallatronError | None = None) -> JsonResponse:
    """Authenticate, parse and run one HTTP call; every failure is an Installatron reply.

    ``refuse`` is an answer decided by routing (unknown route, wrong method), given only
    after the key is checked so that strangers always get the same 403.
    """
    try:
        call = parse_call(request)
    except ApiError as exc:
        return error_reply(exc)
    address = request.META.get("REMOTE_ADDR")
    if address_is_throttled(API_KEY_FAILURE, address, settings.API_KEY_FAILURE_LIMIT):
        # Not even a right key is looked at: whoever is guessing learns nothing more.
        return _refusal("Too many calls with a wrong API key came from this address; try "
                        "again in a while.", "invalid_api_key", 429)
    if not keys.check_key(call.key):
        record_login_failure(API_KEY_FAILURE, address)
        return _refusal("Invalid API key.", "invalid_api_key")
    if version and not (request.headers.get("X-API-Version") or call.params.get("api_version")):
        call.version = version
    return run_call(request, call, cmd, route_params, refuse=refuse)


def run_call(request: HttpRequest, call: ApiCall, cmd: str | None = None,
             route_params: dict | None = None, *, refuse: InstallatronError | None = None,
             via: str = "http") -> JsonResponse:
    """Run an authenticated call and record it in the audit log."""
    if cmd is None and isinstance(call.params.get("cmd"), str):
        cmd = call.params["cmd"]
    response = _dispatch(request, call, cmd, route_params, refuse, via)
    _record(request, call, cmd, response, via)
    return response


def _dispatch(request, call: ApiCall, cmd, route_params, refuse, via) -> JsonResponse:
    if refuse is not None:
        return error_reply(refuse)
    if call.error is not None:
        return error_reply(call.error)
    from_route = route_params is not None
    call.params.update(route_params or {})
    if not isinstance(cmd, str) or not cmd:
        return _refusal("No command was given.", "empty_argument_cmd")
    cmd = ALIASES.get(cmd.lower(), cmd.lower())
    fn = COMMANDS.get(cmd)
    if fn is None:
        if cmd in DOCUMENTED:
            return _refusal(f"The '{cmd}' command is not available on this server yet.",
                            "unsupported_cmd")
        return _refusal(f"Unknown command '{cmd[:40]}'.", "invalid_argument_cmd")
    if not from_route and via == "http" and call.method == "GET" and cmd not in VIEW_CMDS:
        return _refusal(f"The '{cmd}' command changes things; send it with POST.",
                        "invalid_method")
    if "__v2_addon" not in call.params:  # the add-on routes' own autoup=all|none
        v2names.enum_inputs(call.params)
    ctx = Context(request=request, call=call, cmd=cmd, via=via)
    if cmd in DRYRUN_CMDS and call.params.get("dryrun") not in (None, ""):
        dryrun = str(call.params["dryrun"]).strip()
        if dryrun not in {"0", "1", "2"}:
            return error_reply(InstallatronError("dryrun must be 1 or 2.",
                                                 errcode="invalid_argument_dryrun",
                                                 field="dryrun"))
        ctx.dryrun = int(dryrun)
    try:
        if ctx.dryrun:
            # Whatever a command writes on its way through the checks is undone, and
            # on_commit work (task queueing) is dropped with the transaction.
            with transaction.atomic():
                response = fn(ctx)
                transaction.set_rollback(True)
            return response
        if cmd in NON_ATOMIC:
            return fn(ctx)
        with transaction.atomic():
            return fn(ctx)
    except InstallatronError as exc:
        return error_reply(exc)
    except Exception:
        # A bug, not the caller's fault: log it, say nothing specific.
        log.exception("API command %s failed", cmd)
        return _refusal("The server could not complete the request.", "failed", 500)


def _record(request, call: ApiCall, cmd, response: JsonResponse, via: str) -> None:
    """One ApiLog row per authenticated call: names and outcome only, never values."""

    if response.streaming:
        body = {"result": True}  # only whole lists stream, and only once they are allowed
    else:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
    cmd = ALIASES.get(cmd.lower(), cmd.lower()) if isinstance(cmd, str) else ""
    user = call.params.get("user") if isinstance(call.params, dict) else None
    user = user if isinstance(user, str) and USERNAME_RE.match(user) else ""
    install = ""
    if cmd in INSTALL_CMDS:
        data = body.get("data")
        candidate = call.params.get("id") if isinstance(call.params, dict) else None
        if cmd in {"install", "import", "migrate", "clone"} and isinstance(data, dict):
            candidate = data.get("id")
        if isinstance(candidate, str) and _INSTALL_ID_RE.match(candidate):
            install = candidate
    # a background call's task table, or a waiting call's task id
    task = body.get("task")
    task = task if isinstance(task, dict) else {"id": task} if isinstance(task, str) else {}
    address = request.META.get("REMOTE_ADDR") if via == "http" else None
    try:
        ApiLog.objects.create(
            cmd=(cmd if cmd in DOCUMENTED or cmd in COMMANDS else "unknown")[:32],
            user=user, result=bool(body.get("result")), errcode=str(body.get("errcode") or "")[:64],
            status=response.status_code, version=call.version,
            via=via, address=address or None, install=install,
            task=str(task.get("id") or "")[:24])
    except (DatabaseError, ValueError):
        log.exception("could not write the API log")


# v2 REST: (method, path pattern, cmd, fixed params). {id} and {item} become parameters.
V2_ROUTES: list[tuple[str, str, str, dict]] = [
    ("GET", "browser", "browser", {}),
    ("GET", "browser/{application}", "browser", {}),
    ("POST", "browser/{application}/install", "install", {}),
    ("POST", "browser/{application}/import", "import", {}),
    ("POST", "browser/{application}/migrate", "migrate", {}),
    ("GET", "installs", "installs", {}),
    ("GET", "installs/{id}", "view", {}),
    ("POST", "installs/{id}", "edit", {}),
    ("DELETE", "installs/{id}", "uninstall", {}),
    ("POST", "installs/{id}/update", "update", {}),
    ("POST", "installs/{id}/backup", "backup", {}),
    ("POST", "installs/{id}/template", "template", {}),
    ("POST", "installs/{id}/clone", "clone", {}),
    ("POST", "installs/{id}/sync", "sync", {}),
    ("POST", "installs/{id}/login", "createadminsso", {}),
    ("POST", "installs/{id}/detach", "detach", {}),
    ("GET", "installs/{id}/plugins", "edit", {"list-plugins": "1"}),
    ("POST", "installs/{id}/plugins/{plugin}", "edit", {"__v2_addon": "plugin"}),
    ("DELETE", "installs/{id}/plugins/{plugin}", "edit", {"__v2_addon": "plugin-uninstall"}),
    ("GET", "installs/{id}/themes", "edit", {"list-themes": "1"}),
    ("POST", "installs/{id}/themes/{theme}", "edit", {"__v2_addon": "theme"}),
    ("DELETE", "installs/{id}/themes/{theme}", "edit", {"__v2_addon": "theme-uninstall"}),
    ("GET", "backups", "backups", {}),
    ("GET", "backups/{id}", "backups", {"__single": "1"}),
    ("POST", "backups/{id}", "editbackup", {}),
    ("POST", "backups/{id}/restore", "restore", {}),
    ("POST", "backups/{id}/restoreto", "restoreto", {}),
    ("DELETE", "backups/{id}", "delete", {}),
    ("GET", "templates", "templates", {}),
    ("GET", "templates/{id}", "templates", {"__single": "1"}),
    ("POST", "templates/{id}", "edittemplate", {}),
    ("DELETE", "templates/{id}", "deletetemplate", {}),
    ("GET", "users", "users", {}),
    ("GET", "users/{user}", "users", {"__single": "1"}),
    ("POST", "users", "edituser", {}),  # the v2 overview's "add users": POST /users
    ("POST", "users/{user}", "edituser", {}),
    ("POST", "users/{user}/login", "guixfer", {}),
    ("GET", "users/{user}/login", "guixfer", {}),  # as the v2 overview sends it
    ("DELETE", "users/{user}", "deleteuser", {}),
    ("GET", "logs", "logs", {}),
    ("GET", "tasks", "tasks", {}),
]
V2_ROOTS = ("browser", "installs", "backups", "templates", "users", "logs", "tasks")


# Members that may hold a "/": add-on ids as the plugins list shows them
# ("akismet/akismet.php"), sent as they are or as %2F (which the server decodes first).
_SLASHED = {"plugin"}


def _compile(pattern: str) -> re.Pattern:
    regex = re.sub(r"\{(\w+)\}",
                   lambda m: f"(?P<{m[1]}>{'.+?' if m[1] in _SLASHED else '[^/]+'})", pattern)
    return re.compile(f"{regex}/?")


_COMPILED = [(method, _compile(p), cmd, fixed) for method, p, cmd, fixed in V2_ROUTES]


def resolve_v2(method: str, path: str) -> tuple[str, dict] | None | str:
    """The (cmd, params) for a v2 path; "method" if only the method is wrong; None if unknown."""
    path = path.strip("/")
    path_known = False
    for route_method, regex, cmd, fixed in _COMPILED:
        match = regex.fullmatch(path)
        if not match:
            continue
        path_known = True
        if route_method == method:
            return cmd, {**fixed, **match.groupdict()}
    return "method" if path_known else None
