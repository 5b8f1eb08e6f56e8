"""Operations on accounts, websites and GUI hand-offs."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps as django_apps
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from apps.panels.base import PanelError, get_panel, provides_paths
from apps.panels.hestia import HestiaPanel
from installatron_gui.lib.errors import InstallatronError
from installatron_gui.lib.flags import yes_no

from .errors import AccountError
from .models import USERNAME_RE, Account, Handoff, LoginFailure, Website, hash_handoff_id
from .validation import WebsiteSpec, check_email, check_username, check_websites, serves

_HANDOFF_RE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")
_PACKAGE_RE = re.compile(r"^[A-Za-z0-9_.-]{0,64}$")

@dataclass
class HeaderInput:
    """The request header and account members of one call, already validated."""

    username: str
    reseller: str | None = None
    kind: str | None = None
    websites: list[WebsiteSpec] | None = None
    language: str | None = None
    email: str | None = None
    package: str | None = None
    suspended: bool | None = None


def _yes_no(value, errcode: str) -> bool:
    parsed = yes_no(value)
    if parsed is None:
        raise AccountError("Use 'yes' or 'no'.", errcode=errcode)
    return parsed


# Which packages an account may be given is the catalog's to say (its application sets):
# the catalog app registers the check (register_package_check) in its AppConfig.ready().
_package_check: list[Callable[[Account, str], None]] = []
_package_choices: list[Callable[[Account | None], list[tuple[str, str]]]] = []


def register_package_check(check: Callable[[Account, str], None],
                           choices: Callable[[Account | None], list[tuple[str, str]]]) -> None:
    """``check(account, package)`` raises an InstallatronError for a package the account
    cannot have (its errcode and message are the API's); ``choices(owner)`` lists the
    packages (value, label) an account of ``owner`` may be given."""
    _package_check[:] = [check]
    _package_choices[:] = [choices]


def package_choices(owner: Account | None) -> list[tuple[str, str]]:
    return _package_choices[0](owner) if _package_choices else []


def known_language(code: str) -> bool:
    """A language code Django knows (``de``, ``pt_BR``, ``zh-hans``): ``xx`` is none."""
    code = code.lower().replace("_", "-")
    return code in LANG_INFO or code.split("-")[0] in LANG_INFO


def parse_header(params: dict, *, require_user: bool = True) -> HeaderInput | None:
    """Validate user, reseller, type, websites, language, email, package, suspended.

    Nothing is written; the first problem raises AccountError with its errcode.
    """
    raw_user = params.get("user")
    if raw_user in (None, ""):
        if require_user:
            raise AccountError("The user argument is required.", errcode="empty_argument_user")
        return None
    username = check_username(raw_user)
    reseller = params.get("reseller")
    if reseller not in (None, ""):
        reseller = check_username(reseller, errcode="invalid_argument_reseller")
        if reseller == username:
            raise AccountError(
                "An account cannot own itself.", errcode="invalid_argument_reseller"
            )
    else:
        reseller = None
    kind = params.get("type")
    if kind not in (None, ""):
        kind = str(kind).lower()
        if kind not in {"user", "reseller"}:
            raise AccountError("type must be 'user' or 'reseller'.", errcode="invalid_argument_type")
    else:
        kind = None
    websites = None
    # JSON null (or false) is "not given", as typed clients send for an unset list: the
    # user's websites stay unchanged. A given list adds or updates the websites it names.
    if params.get("websites") not in (None, False):
        websites = check_websites(params.get("websites"), path_required=not provides_paths())
    language = params.get("language")
    if language not in (None, ""):
        language = str(language)
        if not _LANG_RE.match(language) or not known_language(language):
            raise AccountError(
                "The language is not a known language code.", errcode="invalid_argument_language"
            )
    else:
        language = None
    email = params.get("email")
    email = check_email(email, "invalid_argument_email") if email not in (None, "") else None
    package = params.get("package")
    if package is not None:
        package = str(package)
        if not _PACKAGE_RE.match(package):
            raise AccountError(
                "The package must be a short alphanumeric name.",
                errcode="invalid_argument_package",
            )
    suspended = params.get("suspended")
    if suspended is not None:
        suspended = _yes_no(suspended, "invalid_argument_suspended")
    return HeaderInput(
        username=username,
        reseller=reseller,
        kind=kind,
        websites=websites,
        language=language,
        email=email,
        package=package,
        suspended=suspended,
    )


def user_for_websites(websites, acting: Account | None = None) -> str:
    """The user a header without ``user`` is about: its websites' ids name it.

    001 makes ``user`` "optional but recommended". Without it, the account is the website
    owner (never a reseller or the administrator) that already has a website with one of
    the ids; otherwise an account named after the first website's id (or ``ws-`` and a
    digest of it when the id is not a valid user name or names another kind of account).
    """
    if not isinstance(websites, list | dict) or not websites:
        raise AccountError("The user argument is required.", errcode="empty_argument_user")
    entries = websites.values() if isinstance(websites, dict) else websites
    ids = [str(w.get("id")) for w in entries if isinstance(w, dict) and w.get("id") not in (None, "")]
    if not ids:
        raise AccountError("The user argument is required.", errcode="empty_argument_user")
    acting = acting or Account.objects.main_admin()
    owners = {w.account for w in Website.objects.select_related("account").filter(
        ws_id__in=ids, account__kind=Account.Kind.USER)
        if acting.is_admin or acting.manages(w.account)}
    if len(owners) > 1:
        raise AccountError("These websites belong to several users; name the user.",
                           errcode="invalid_argument_user")
    if owners:
        return owners.pop().username
    name = ids[0]
    taken = Account.objects.filter(username=name).exclude(kind=Account.Kind.USER).exists()
    if not USERNAME_RE.match(name) or taken or name == settings.ADMIN_USERNAME:
        name = "ws-" + hashlib.sha256(ids[0].encode()).hexdigest()[:24]
    return name


def _resolve_reseller(name: str, acting: Account) -> Account:
    """The owning reseller named in a call; created under ``acting`` if unknown."""
    if name == settings.ADMIN_USERNAME:
        return Account.objects.main_admin()
    reseller = Account.objects.filter(username=name).first()
    if reseller is None:
        return Account.objects.create(username=name, kind=Account.Kind.RESELLER, owner=acting)
    if not (acting.is_admin or acting.pk == reseller.pk or acting.manages(reseller)):
        raise AccountError(
            f"The reseller '{name}' is not yours.", errcode="invalid_argument_reseller", status=403
        )
    if reseller.kind == Account.Kind.USER:
        # The reference's own sequence (4.3) makes r12345 with a bare edituser, then names
        # it as the reseller of r12346: naming an account as a reseller makes it one.
        reseller.kind = Account.Kind.RESELLER
        reseller.save(update_fields=["kind"])
    return reseller


@transaction.atomic
def apply_header(header: HeaderInput, *, acting: Account | None = None) -> Account:
    """Create or update the account (and its websites) a request header describes.

    ``acting`` is who makes the call: the main admin for API keys, or a reseller acting
    through its own portal. A reseller can only touch accounts below it.
    """
    acting = acting or Account.objects.main_admin()
    account = Account.objects.select_for_update().filter(username=header.username).first()
    if account is not None and not (acting.is_admin or acting.pk == account.pk or acting.manages(account)):
        raise AccountError(
            f"The user '{header.username}' is not yours.", status=403, errcode="invalid_argument_user"
        )
    if header.username == settings.ADMIN_USERNAME:
        account = Account.objects.main_admin()
        if header.kind not in (None, "admin"):
            raise AccountError(
                "The main administrator's type cannot change.", errcode="invalid_argument_type"
            )
    owner = _resolve_reseller(header.reseller, acting) if header.reseller else None
    created = account is None
    if created:
        account = Account(
            username=header.username,
            kind=header.kind or Account.Kind.USER,
            owner=owner or acting,
        )
    else:
        if header.kind and not account.is_admin and header.kind != account.kind:
            if header.kind == Account.Kind.USER and account.owned.exists():
                raise AccountError(
                    "This reseller still owns accounts; move or delete them first.",
                    errcode="invalid_argument_type",
                )
            account.kind = header.kind
        if owner is not None and not account.is_admin and owner.pk != account.owner_id:
            if owner.pk == account.pk or account.manages(owner):
                raise AccountError(
                    "That would make the account own itself.", errcode="invalid_argument_reseller"
                )
            account.owner = owner
    if header.language is not None:
        account.language = header.language
    if header.email is not None:
        account.email = header.email
    if header.package is not None:
        if header.package and header.package != account.package:
            for check in _package_check:
                try:
                    check(account, header.package)
                except InstallatronError as exc:
                    raise AccountError(exc.message, errcode=exc.errcode) from None
        account.package = header.package
    suspend_now = False
    if header.suspended is not None and not account.is_admin:
        suspend_now = header.suspended and not account.suspended
        account.suspended = header.suspended
    account.save()
    if suspend_now:
        account.end_sessions()
    if header.websites is not None:
        merge_websites(account, header.websites)
    return account


def merge_websites(account: Account, specs: list[WebsiteSpec]) -> None:
    """Save the websites a header lists (added, or updated by their ``id``).

    Websites the header leaves out are kept: panels send the websites of the current
    session, often one per call, so an omission says nothing. They only move after the
    listed ones, so that a vhost named by both an old and a current website resolves to
    the current one. Websites go with their account only (``delete_account``); an install
    stays attached to its website's id and follows the website's new path or vhosts.
    """
    existing = {ws.ws_id: ws for ws in account.websites.all()}
    for position, spec in enumerate(specs):
        website = existing.pop(spec.ws_id, None) or Website(account=account, ws_id=spec.ws_id)
        website.label = spec.label
        website.path = spec.path
        website.vhosts = spec.vhosts
        website.email = spec.email
        website.uid = spec.uid
        website.gid = spec.gid
        website.db_mode = spec.db_mode
        website.vhost_ip = spec.vhost_ip
        website.databases = spec.databases
        website.custom = spec.custom
        website.position = position
        website.save()
    for position, website in enumerate(existing.values(), start=len(specs)):
        if website.position != position:
            website.position = position
            website.save(update_fields=["position"])


def reattach_records(records, website) -> int:
    """Attach to ``website`` the records of ``records`` (installs or backups: rows with
    ``account``, ``website``, ``url`` and ``path``) of its account that have no website
    and whose URL it serves at their path. Returns how many were attached.

    Earlier versions deleted the websites a header left out, leaving their installs
    without one; this is how those find their website again when it comes back (the
    installs and backups apps call it whenever a website is saved, and their migrations
    once for the websites that exist).
    """
    orphans = records.filter(account_id=website.account_id, website__isnull=True)
    found = [pk for pk, url, path in orphans.values_list("pk", "url", "path")
             if serves(website.vhosts, url, path)]
    return orphans.filter(pk__in=found).update(website=website) if found else 0


def reattach_orphans(model, website_model=Website) -> int:
    """reattach_records for every website of an account that has records of ``model``
    without a website (the data migrations pass their historical models)."""
    records = model.objects.all()
    accounts = records.filter(website__isnull=True).values("account_id")
    websites = website_model.objects.filter(account_id__in=accounts)
    return sum(reattach_records(records, w) for w in websites.order_by("account", "position"))


def reattach_when_saved(label: str) -> None:
    """Run reattach_records on the model ``label`` ("installs.Install") whenever a new
    website is saved: called from that app's ``ready()``, so accounts imports no app
    above it."""

    def receiver(sender, instance, created=False, raw=False, **kwargs):
        # Websites are never deleted now, so only a new row can be one an earlier version
        # deleted coming back (the migrations did the websites that existed then).
        if created and not raw:  # raw: fixtures being loaded
            reattach_records(django_apps.get_model(label).objects.all(), instance)

    post_save.connect(receiver, sender=Website, weak=False, dispatch_uid=f"reattach:{label}")


def create_handoff(account: Account, *, language: str = "", ttl: int | None = None) -> str:
    """A one-time GUI session id for ``account``. Only its hash is stored."""
    raw = secrets.token_urlsafe(32)  # 256 random bits
    lifetime = Handoff.lifetime() if ttl is None else timedelta(seconds=ttl)
    Handoff.objects.create(
        id_hash=hash_handoff_id(raw),
        account=account,
        language=language,
        expires=timezone.now() + lifetime,
    )
    # Old, spent or expired ids are useless; keep the table small.
    Handoff.objects.filter(expires__lt=timezone.now() - timedelta(days=1)).delete()
    return raw


def end_unused_handoffs() -> int:
    """Expire every sign-in link not used yet (an API key was rotated: links minted with a
    leaked key must not outlive it). Returns how many were ended."""
    now = timezone.now()
    return Handoff.objects.filter(used_at__isnull=True, expires__gt=now).update(expires=now)


def redeem_handoff(raw: str) -> Handoff | None:
    """Spend a hand-off id. Exactly one caller wins; anything wrong gives None."""
    if not isinstance(raw, str) or not _HANDOFF_RE.match(raw):
        return None
    id_hash = hash_handoff_id(raw)
    now = timezone.now()
    # A single conditional UPDATE: concurrent redemptions race in the database, one wins.
    won = Handoff.objects.filter(id_hash=id_hash, used_at__isnull=True, expires__gt=now).update(
        used_at=now
    )
    if won != 1:
        return None
    handoff = Handoff.objects.select_related("account").get(id_hash=id_hash)
    if not handoff.account.is_active:
        return None
    return handoff


def spent_handoff(raw: str) -> Handoff | None:
    """A hand-off id that exists but was used or expired (for the page that says so, in
    its account's brand and language); None for anything else."""
    if not isinstance(raw, str) or not _HANDOFF_RE.match(raw):
        return None
    return Handoff.objects.select_related("account").filter(
        id_hash=hash_handoff_id(raw)).first()


def handoff_hestia_user(username: str, *, panel=None, language: str = "") -> str:
    """Hand a HestiaCP user into the GUI with one call: read the user's web domains from
    Hestia, make them the account's websites (apply_header) and return a one-time GUI
    session id (redirect the browser to ``/index.php?s=<id>``)."""
    panel = panel or get_panel()
    if not isinstance(panel, HestiaPanel):
        raise PanelError("The configured panel is not HestiaCP.", errcode="invalid_argument_user")
    header = parse_header({"user": username, "websites": panel.websites_for(username)})
    account = apply_header(header)
    if not account.is_active:
        raise AccountError("This account is suspended.", errcode="suspended_user", status=403)
    return create_handoff(account, language=language or account.language)

@transaction.atomic
def set_suspended(account: Account, suspended: bool) -> None:
    if account.is_admin:
        raise AccountError("The main administrator cannot be suspended.", status=403)
    account.suspended = suspended
    account.save(update_fields=["suspended"])
    if suspended:
        account.end_sessions()


@transaction.atomic
def delete_account(account: Account) -> list[str]:
    """Delete an account and its websites. Accounts it owned move up to its owner.

    Install records of its websites are removed by their apps' cascades; files on the
    websites are never touched.
    """
    if account.is_admin:
        raise AccountError("The main administrator cannot be deleted.", status=403)
    Account.objects.filter(owner=account).update(owner=account.owner)
    deleted = [account.username]
    account.delete()
    return deleted


def login_is_throttled(username: str, address: str | None) -> bool:
    """Too many recent failures for this name, or (four times as many) from this address."""
    limit = settings.LOGIN_FAILURE_LIMIT
    recent = LoginFailure.objects.filter(
        time__gte=timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    )
    if recent.filter(username=username).count() >= limit:
        return True
    return bool(address) and recent.filter(address=address).count() >= limit * 4


# Failures that are not a person's password are counted per address under these names (no
# account can have them: names are checked against check_username's pattern).
HANDOFF_FAILURE = "(sign-in link)"
API_KEY_FAILURE = "(api key)"


def address_is_throttled(kind: str, address: str | None, limit: int) -> bool:
    """``limit`` failures of ``kind`` (HANDOFF_FAILURE, API_KEY_FAILURE) from this address
    within the login-failure window. Per address only, so nobody can lock others out (a panel,
    an owner's links) by failing on purpose."""
    if not address:
        return False
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    failures = LoginFailure.objects.filter(username=kind, address=address, time__gte=since)
    return failures.count() >= limit


def record_login_failure(username: str, address: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], address=address or None)


def clear_login_failures(username: str) -> None:
    LoginFailure.objects.filter(username=username).delete()


def clear_stale_rows() -> dict[str, int]:
    """Delete what no longer serves anyone: expired sessions, hand-off ids spent or expired
    more than a day ago (kept that long for the audit of who signed in), and login failures
    older than the throttling window. Returns the number of rows deleted of each kind."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    handoffs, _ = Handoff.objects.filter(expires__lt=now - timedelta(days=1)).delete()
    failures, _ = LoginFailure.objects.filter(
        time__lt=now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)).delete()
    return {"sessions": sessions, "handoffs": handoffs, "login_failures": failures}
