"""The 404, 403 and 500 pages and the favicon (issue 14)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views import defaults

STYLESHEET = "/static/css/app.css"
ICON = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'


def _styled(html: str) -> bool:
    return STYLESHEET in html and ICON in html and 'class="card error-page"' in html \
        and 'href="/gui/"' in html


def test_an_unknown_page_is_a_styled_404_signed_out_and_signed_in(client, user):
    page = client.get("/gui/no-such-page/")
    html = page.content.decode()
    assert page.status_code == 404 and _styled(html)
    assert "<h1>Page not found</h1>" in html and "Sign out" not in html
    client.force_login(user)
    page = client.get("/gui/installs/not-an-install/")
    html = page.content.decode()
    assert page.status_code == 404 and _styled(html) and "<h1>Page not found</h1>" in html
    assert "Sign out" in html and 'aria-label="Main"' in html  # the menu is still there


def test_the_403_and_500_pages_render_without_a_signed_in_user(db):
    request = RequestFactory().get("/gui/somewhere/")
    denied = defaults.permission_denied(request, PermissionDenied())
    assert denied.status_code == 403 and _styled(denied.content.decode())
    assert "<h1>Not allowed</h1>" in denied.content.decode()
    # Django renders the 500 page with no request and no context processors at all.
    broken = defaults.server_error(request)
    html = broken.content.decode()
    assert broken.status_code == 500 and _styled(html)
    assert "<h1>Something went wrong</h1>" in html and "Traceback" not in html


def test_the_favicon_is_linked_and_favicon_ico_leads_to_it(client, db):  # the languages offered
    login = client.get("/gui/login/").content.decode()
    assert ICON in login
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
