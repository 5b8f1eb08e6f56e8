"""Whole v1 lists (no paging asked) past STREAM_AFTER rows are streamed: the same members,
rows read a chunk at a time, a constant number of queries per chunk."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Account
from apps.api import paging
from apps.api.models import ApiLog
from apps.installs.models import Install, new_install_id


def _seed_installs(owner: Account, count: int) -> None:
    now = timezone.now()
    Install.objects.bulk_create(
        Install(id=new_install_id(), account=owner, installer="wordpress", version="6.1.9",
                url=f"http://site{i}.example/blog", url_domain=f"site{i}.example",
                path="public_html/blog", title=f"Blog {i}", status=Install.Status.INSTALLED,
                time=now - timezone.timedelta(minutes=i))
        for i in range(count))


def _read(response) -> tuple[dict, int]:
    """The reply's body, and the queries it took to write it (a stream runs its queries
    while it is read)."""
    with CaptureQueriesContext(connection) as queries:
        raw = (b"".join(response.streaming_content) if response.streaming
               else response.content)
    return json.loads(raw), len(queries)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(paging, "STREAM_AFTER", 30)
    monkeypatch.setattr(paging, "CHUNK", 10)


def test_a_long_v1_install_list_streams_the_same_members_in_the_same_order(
        api, admin, small_chunks, monkeypatch):
    _seed_installs(admin, 45)
    streamed = api.v1("installs")
    assert streamed.streaming and "no-store" in streamed["Cache-Control"]
    body, queries = _read(streamed)
    assert body["result"] is True and body["has_more"] is False
    assert body["total_count"] == len(body["data"]) == 45

    monkeypatch.setattr(paging, "STREAM_AFTER", 10_000)
    whole = api.v1("installs")
    assert not whole.streaming
    expected = json.loads(whole.content)
    assert body["data"] == expected["data"]
    # newest first, as the paged lists
    assert [row["title"] for row in body["data"][:3]] == ["Blog 0", "Blog 1", "Blog 2"]
    # five chunks of ten: one query for the rows and one for each lookup, per chunk
    assert queries <= 5 * 4, queries


def test_queries_grow_with_chunks_not_rows(api, admin, small_chunks):
    _seed_installs(admin, 40)
    _, for_40 = _read(api.v1("installs"))
    _seed_installs(admin, 40)
    _, for_80 = _read(api.v1("installs"))
    # 40 more rows are four more chunks of ten: at most 4 queries more a chunk
    assert for_80 - for_40 <= 4 * 4, (for_40, for_80)


def test_paged_v1_and_v2_lists_do_not_stream(api, admin, small_chunks):
    _seed_installs(admin, 45)
    paged = api.v1("installs", limit="40")
    assert not paged.streaming and len(json.loads(paged.content)["data"]) == 40
    v2 = api.v2("GET", "/installs", {"limit": "45"})
    assert not v2.streaming and json.loads(v2.content)["total_count"] == 45


def test_a_streamed_users_list_is_logged_and_printed_by_the_cli(api, admin, small_chunks):
    Account.objects.bulk_create(Account(username=f"s{n:03}", kind="user", owner=admin)
                                for n in range(40))
    body, _ = _read(api.v1("users"))
    names = [row["id"] for row in body["data"]]
    assert len(names) == len(set(names)) and {f"s{n:03}" for n in range(40)} <= set(names)
    entry = ApiLog.objects.filter(cmd="users").latest("pk")
    assert entry.result is True and entry.status == 200

    out = io.StringIO()
    call_command("installatron", "--", "--cmd", "users", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["result"] is True and [row["id"] for row in printed["data"]] == names
