from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from apps.panels.services import record_session_action


def to_django_language(code: str) -> str:
    """Installatron's codes (en, pt_br, zh_tw) to Django's (en, pt-br, zh-hant)."""
    code = code.lower().replace("_", "-")
    return {"zh-tw": "zh-hant", "zh": "zh-hans", "en-uk": "en-gb"}.get(code, code)


class AccountLanguageMiddleware:
    """Applies the hand-off language, else the account's, else the default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = ""
        if hasattr(request, "session"):
            code = request.session.get("language", "")
        user = getattr(request, "user", None)
        if not code and user is not None and user.is_authenticated:
            code = user.language
        language = to_django_language(code) if code else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
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
