"""dryrun=1 (input checks) and dryrun=2 (every check): nothing written, in the database or
on disk, whichever API style asks."""

from __future__ import annotations

from pathlib import Path

import pytest


def _listing(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.is_dir(), p.stat().st_size) for p in root.rglob("*")}


def _counts() -> dict:
    from apps.accounts.models import Account, Website
    from apps.api.models import ApiLog
    from apps.installs.models import Install
    from apps.tasks.models import Task

    return {m.__name__: m.objects.count() for m in (Account, Website, Install, Task)} | {
        "ApiLog": ApiLog.objects.count()}


@pytest.fixture
def header(user):
    website = user.websites.get()
    extra = Path(website.path).parent / "alice-two"
    extra.mkdir()
    return [{"id": "ws1", "path": website.path, "vhosts": website.vhosts},
            {"id": "ws2", "path": str(extra), "vhosts": {"http://two.alice.test": ""}}]


@pytest.mark.parametrize("dryrun", ["1", "2"])
@pytest.mark.parametrize("style", ["v1", "v2"])
def test_dryrun_checks_and_changes_nothing(api, user, header, wordpress_package, dryrun, style):
    root = Path(user.websites.get().path)
    before, counts = _listing(root), _counts()
    params = {"user": "alice", "url": "http://alice.test/blog", "passwd": "Dry-run-pass-1",
              "sitetitle": "Dry", "dryrun": dryrun, "websites": header}
    if style == "v1":
        response = api.v1("install", application="wordpress", **params)
    else:
        response = api.v2("POST", "/browser/wordpress/install", params)
    body = response.json()
    assert response.status_code == 200, body
    assert body["result"] is True and "task" not in body
    url_key = "url_domain" if style == "v2" else "url-domain"
    assert body["data"]["url"] == "http://alice.test/blog" and body["data"][url_key] == "alice.test"
    assert "Dry-run-pass-1" not in response.content.decode()
    assert _listing(root) == before
    after = _counts()
    assert after.pop("ApiLog") == counts.pop("ApiLog") + 1  # the call itself is logged
    assert after == counts  # no install, no task, and the header's ws2 was not kept
    assert not user.websites.filter(ws_id="ws2").exists()


def test_dryrun_2_checks_the_target_and_dryrun_1_does_not(api, user, wordpress_package):
    root = Path(user.websites.get().path)
    (root / "public_html" / "blog").mkdir()
    (root / "public_html" / "blog" / "index.html").write_text("hello")
    params = {"user": "alice", "url": "http://alice.test/blog", "passwd": "Dry-run-pass-1"}
    assert api.v1("install", application="wordpress", dryrun="1", **params).json()["result"]
    body = api.v1("install", application="wordpress", dryrun="2", **params).json()
    assert body["result"] is False and body["errcode"] == "invalid_argument_url_alreadyexists"
    assert (root / "public_html" / "blog" / "index.html").read_text() == "hello"
    assert sorted(p.name for p in (root / "public_html" / "blog").iterdir()) == ["index.html"]


def test_dryrun_must_be_1_or_2(api, user):
    body = api.v1("install", application="wordpress", user="alice", dryrun="yes").json()
    assert body["errcode"] == "invalid_argument_dryrun" and body["status"] == 400
