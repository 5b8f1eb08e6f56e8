from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import trans_real

from apps.panels.services import record_session_action

from .models import SiteSettings

SEEN_KEY = "seen"
# The pages people read, in the languages the admin offers (SiteSettings.languages).
GUI_PATHS = ("/gui/", "/index.php")


def to_django_language(code: str) -> str:
    """Installatron's codes (en, pt_br, zh_tw) to Django's (en, pt-br, zh-hant)."""
    code = code.lower().replace("_", "-")
    return {"zh-tw": "zh-hant", "zh": "zh-hans", "en-uk": "en-gb"}.get(code, code)


def supported_language(code: str, offered: list[str] | None = None) -> str | None:
    """The GUI language (one of settings.LANGUAGES the admin offers) for an Installatron
    code, or None when we have no translation for it or it is not offered: then Django's
    own strings must not switch alone either."""
    try:
        found = translation.get_supported_language_variant(to_django_language(code))
    except LookupError:
        return None
    if offered is None:
        offered = SiteSettings.load().offered_codes()
    return found if found in offered else None


def browser_language(request, offered: list[str]) -> str | None:
    """The first language of the browser's Accept-Language that is offered."""
    header = request.headers.get("Accept-Language", "")
    for code, _q in trans_real.parse_accept_lang_header(header):
        if code != "*" and (found := supported_language(code, offered)):
            return found
    return None


class AccountLanguageMiddleware:
    """Applies the hand-off language, else the account's, else the browser's
    (Accept-Language), else the default; a language we have no translation for counts as not
    given, so a page never mixes two languages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wanted = []
        if hasattr(request, "session"):
            wanted.append(request.session.get("language", ""))
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            wanted.append(user.language)
        if request.path_info.startswith(GUI_PATHS):
            site = SiteSettings.load()
            offered = site.offered_codes()
            fallback = site.fallback_language()
        else:  # API replies, the favicon: no page to offer a choice on, no query for it
            offered, fallback = [code for code, _name in settings.LANGUAGES], settings.LANGUAGE_CODE
        language = next((found for code in wanted if code
                         and (found := supported_language(code, offered))), None)
        if language is None:
            language = browser_language(request, offered) or fallback
        translation.activate(language)
        request.offered_languages = offered
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language",))
        return response


class NoStoreMiddleware:
    """Pages of a signed-in account and backup downloads hold private data: no browser or
    proxy may keep a copy (a shared computer's back button, a caching proxy)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or response.streaming:
            add_never_cache_headers(response)
        return response


class ContentSecurityPolicyMiddleware:
    """One Content-Security-Policy on every HTML page. Scripts, styles and images come from our
    own origin only and the templates hold no inline code or style, so markup slipped into a
    page cannot run; forms post back to us; only the panels on the allow-list may frame the GUI
    (everyone else also gets X-Frame-Options DENY). A view whose form goes on to another site
    names that origin in ``response.csp_form_action``."""

    def __init__(self, get_response):
        self.get_response = get_response
        origins = " ".join(settings.FRAME_ANCESTORS)
        self.frame_ancestors = f"'self' {origins}" if origins else "'none'"
        self.framed = bool(origins)

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response  # API replies, downloads: no document to protect
        form_action = " ".join(["'self'", *getattr(response, "csp_form_action", ())])
        policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  f"object-src 'none'; base-uri 'none'; form-action {form_action}; "
                  f"frame-ancestors {self.frame_ancestors}")
        response.headers.setdefault("Content-Security-Policy", policy)
        if self.framed:
            response.xframe_options_exempt = True
        return response


class IdleSignOutMiddleware:
    """A GUI session left alone for ``SESSION_IDLE_TIMEOUT`` seconds is signed out, so a
    browser left open on a shared computer does not stay in someone's account for the whole
    session age. The last-seen time is written at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not request.path_info.startswith("/gui/"):
            return self.get_response(request)
        now = int(time.time())
        seen = request.session.get(SEEN_KEY)
        if seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT:
            logout(request)
            if request.headers.get("HX-Request"):
                # A poll or a click in a partial: reload the page, which then says why.
                return HttpResponse(status=204, headers={"HX-Refresh": "true"})
            minutes = settings.SESSION_IDLE_TIMEOUT // 60
            return render(request, "accounts/idle.html", {"minutes": minutes})
        if seen is None or now - seen >= 60:
            request.session[SEEN_KEY] = now
        return self.get_response(request)


class SessionActivityMiddleware:
    """A signed-in GUI request restarts the idle clock of the account's enabled paths
    (the panel's ``disablePathByWebsite`` comes only after the session's last action)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.path_info.startswith("/gui/"):
            record_session_action(user)
        return self.get_response(request)
