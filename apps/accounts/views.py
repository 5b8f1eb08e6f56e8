"""Sign-in (hand-off and password), the GUI home, and the users/resellers pages."""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.tasks.services import worker_status
from installatron_gui.lib.pages import IdsFirstPaginator

from . import audit, keys, services
from .context_processors import brand_context
from .branding import (
    DEFAULT_ACCENT,
    DEFAULT_BAR,
    LOGO_MAX,
    branding_for,
    reset_branding,
    save_branding,
)
from .errors import AccountError
from .forms import AccountForm, BrandingForm, LoginForm
from .models import Account, Branding

PER_PAGE = 25
# The session key naming the branding the expired-link page showed a signed-out browser.
EXPIRED_BRAND = "expired_brand"


def _client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for by themselves: the SVG icon in static/."""
    return redirect(static("favicon.svg"), permanent=True)


@never_cache
def redeem(request: HttpRequest, raw: str) -> HttpResponse:
    """Sign in with a one-time hand-off id (``/index.php?s=<id>``, routed by the API's
    front door)."""
    address = _client_address(request)
    if services.address_is_throttled(services.HANDOFF_FAILURE, address,
                                     settings.HANDOFF_FAILURE_LIMIT):
        # Someone trying ids: answer without looking this one up.
        response = render(request, "accounts/expired.html", {"throttled": True}, status=429)
    elif (handoff := services.redeem_handoff(raw)) is None:
        services.record_login_failure(services.HANDOFF_FAILURE, address)
        # A link that was real (spent or expired) is answered in its account's brand and
        # language; an unknown id learns nothing.
        spent = services.spent_handoff(raw)
        context = {"brand": brand_context(spent.account)} if spent else {}
        branding = branding_for(spent.account) if spent else None
        if branding is not None and not request.user.is_authenticated:
            request.session[EXPIRED_BRAND] = branding.pk  # its stylesheet and logo may load
        language = spent.language or spent.account.language if spent else ""
        known = language and translation.check_for_language(language)
        with translation.override(language) if known else nullcontext():
            response = render(request, "accounts/expired.html", context, status=403)
    else:
        # A fresh session: nothing of whoever used this browser before survives.
        request.session.flush()
        login(request, handoff.account, backend="django.contrib.auth.backends.ModelBackend")
        if handoff.language:
            request.session["language"] = handoff.language
        response = redirect("home")
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Password sign-in for the admin and resellers, throttled per name and address."""
    form = LoginForm(request.POST or None)
    status = 200
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        address = _client_address(request)
        if services.login_is_throttled(username, address):
            form.add_error(None, _("Too many failed sign-in attempts. Try again later."))
            status = 429
        else:
            account = authenticate(
                request, username=username, password=form.cleaned_data["password"]
            )
            if account is None or account.kind == Account.Kind.USER:
                services.record_login_failure(username, address)
                form.add_error(None, _("The name or password is not right."))
            else:
                services.clear_login_failures(username)
                login(request, account)
                if not url_has_allowed_host_and_scheme(
                    next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    next_url = ""
                return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return render(request, "accounts/logged_out.html")


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """The language switcher: the chosen language becomes this session's and, once
    signed in, the account's own (a hand-off's ``language`` no longer wins over it); back
    to the page it was chosen on. On the sign-in page it is the session's only, and
    stays the session's after signing in."""
    code = request.POST.get("language", "")
    if code not in getattr(request, "offered_languages", ()):
        raise Http404
    account = request.user
    if account.is_authenticated and account.language != code:
        account.language = code
        account.save(update_fields=["language"])
    request.session["language"] = code
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = ""
    return redirect(back or "home")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    account: Account = request.user
    context = {"websites": account.websites.all()}
    if account.is_admin or account.is_reseller:
        owned = Account.objects.owned_by(account)
        context["counts"] = {
            "users": owned.users().count(),
            "resellers": owned.resellers().count(),
        }
    return render(request, "accounts/home.html", context)


def _manager(request: HttpRequest) -> Account:
    account: Account = request.user
    if not (account.is_admin or account.is_reseller):
        raise Http404
    return account


def _get_account_for(principal: Account, username: str) -> Account:
    """An account the principal manages; anything else is 404, never a hint."""
    account = Account.objects.filter(username=username).select_related("owner").first()
    if account is None or not principal.manages(account):
        raise Http404
    return account


@login_required
def account_list(request: HttpRequest, kind: str) -> HttpResponse:
    principal = _manager(request)
    accounts = Account.objects.owned_by(principal).filter(kind=kind).select_related("owner")
    q = request.GET.get("q", "").strip()
    if q:
        accounts = accounts.filter(username__icontains=q)

    page = IdsFirstPaginator(accounts, PER_PAGE).get_page(request.GET.get("page"))
    template = "accounts/account_list.html"
    if request.htmx:
        template += "#rows"
    response = render(request, template, {"page": page, "kind": kind, "q": q})
    # The same URL answers with a partial for htmx: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, username: str | None = None) -> HttpResponse:
    principal = _manager(request)
    account = _get_account_for(principal, username) if username else None
    form = AccountForm(
        request.POST or None, principal=principal, account=account,
        initial={"kind": request.GET.get("kind", "user")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = form.save()
        except AccountError as exc:
            form.add_error(None, exc.message)
        else:
            audit.record(principal, "account.create" if account is None else "account.change",
                         saved.username)
            messages.success(request, _("%(name)s was saved.") % {"name": saved.username})
            return redirect("accounts:users" if saved.kind == "user" else "accounts:resellers")
    return render(request, "accounts/account_edit.html", {"form": form, "account": account})


@login_required
@require_http_methods(["GET", "POST"])
def account_suspend(request: HttpRequest, username: str) -> HttpResponse:
    """GET asks first (what suspending does); the confirm page's POST suspends. Unsuspend
    is a POST straight from the list: it only gives back what was there."""
    principal = _manager(request)
    account = _get_account_for(principal, username)
    if request.method == "GET":
        return render(request, "accounts/account_suspend.html", {"account": account})
    suspend = request.POST.get("suspended") == "yes"
    services.set_suspended(account, suspend)
    audit.record(principal, "account.suspend" if suspend else "account.unsuspend",
                 account.username)
    if request.htmx:
        return render(request, "accounts/account_list.html#row", {"account": account})
    messages.success(
        request,
        (_("%(name)s is suspended.") if suspend else _("%(name)s can sign in again."))
        % {"name": account.username},
    )
    return redirect("accounts:users" if account.kind == "user" else "accounts:resellers")


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest, username: str) -> HttpResponse:
    principal = _manager(request)
    account = _get_account_for(principal, username)
    if request.method == "POST":
        kind = account.kind
        services.delete_account(account)
        audit.record(principal, "account.delete", username)
        messages.success(request, _("%(name)s was deleted.") % {"name": username})
        return redirect("accounts:users" if kind == "user" else "accounts:resellers")
    return render(request, "accounts/account_delete.html", {"account": account})


@login_required
@vary_on_headers("HX-Request")
def settings_view(request: HttpRequest) -> HttpResponse:
    principal: Account = request.user
    if not principal.is_admin:
        raise Http404
    masked = {name: ("…" + value[-4:]) if value else "" for name, value in keys.current_keys().items()}
    facts = {
        "handoff_ttl": settings.HANDOFF_TTL,
        "frame_ancestors": settings.FRAME_ANCESTORS,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
        "data_dir": settings.DATA_DIR,
    }

    context = {"keys": masked, "facts": facts, "workers": worker_status()}
    # The workers card refreshes itself while the page is open.
    template = "accounts/settings.html#workers" if request.htmx else "accounts/settings.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def branding_edit(request: HttpRequest) -> HttpResponse:
    """The admin's or a reseller's own branding, which their customers' portal shows."""
    principal = _manager(request)
    own = Branding.objects.filter(account=principal).first()
    initial = {"name": own.name if own else "",
               "accent": (own and own.accent) or DEFAULT_ACCENT,
               "bar": (own and own.bar) or DEFAULT_BAR}
    if request.method == "POST" and "reset" in request.POST:
        reset_branding(principal)
        audit.record(principal, "branding.reset", principal.username)
        messages.success(request, _("The plain look is back."))
        return redirect("accounts:branding")
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["logo"]
        try:
            save_branding(principal, name=data["name"], accent=data["accent"].lower(),
                          bar=data["bar"].lower(),
                          logo=upload.read(LOGO_MAX + 1) if upload else None,
                          remove_logo=data["remove_logo"])
        except AccountError as exc:
            form.add_error(None, exc.message)
        else:
            audit.record(principal, "branding.change", principal.username,
                         f"name: {data['name'][:60]!r}; accent: {data['accent']}; bar: "
                         f"{data['bar']}" + ("; logo: new" if upload else ""))
            messages.success(request, _("The branding was saved."))
            return redirect("accounts:branding")
    return render(request, "accounts/branding.html", {"form": form, "own": own})


def _branding_seen_by(request: HttpRequest, pk: int):
    """The branding the signed-in account sees; signed out, the one the expired-link page
    just showed this browser (redeem). Any other is 404."""
    if request.user.is_authenticated:
        branding = branding_for(request.user)
    else:
        shown = request.session.get(EXPIRED_BRAND)
        branding = Branding.objects.filter(pk=shown).first() if shown == pk else None
    if branding is None or branding.pk != pk:
        raise Http404
    return branding


def brand_css(request: HttpRequest, pk: int) -> HttpResponse:
    """The colours of the branding this account sees, as a stylesheet of our own origin (the
    Content-Security-Policy allows no inline style). Colours are checked as #rrggbb."""
    branding = _branding_seen_by(request, pk)
    rules = []
    if branding.accent:
        rules.append(f":root {{ --accent:{branding.accent}; }}")
    if branding.bar:
        rules.append(f".topbar {{ background:{branding.bar}; }}")
    return HttpResponse("\n".join(rules) + "\n", content_type="text/css; charset=utf-8")


def brand_logo(request: HttpRequest, pk: int) -> HttpResponse:
    branding = Branding.objects.filter(pk=_branding_seen_by(request, pk).pk).first()
    if not branding or not branding.logo_type:
        raise Http404
    response = HttpResponse(bytes(branding.logo), content_type=branding.logo_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
