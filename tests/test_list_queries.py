"""List pages cost the same number of queries however many rows they show (issue 16): no
per-row queries or lookups, for every role's GUI lists and the API's lists."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts import keys
from apps.accounts.models import Account, Website
from apps.api.models import ApiLog
from apps.backups.models import Backup
from apps.installs.models import Install, new_install_id
from apps.tasks.models import Task

_serial = itertools.count()


def _seed(owners: list[Account], count: int) -> None:
    """``count`` installs, each with a backup and a task, spread over ``owners`` (each
    row's account and website differ, so a missing select_related shows)."""
    now = timezone.now()
    for n in range(count):
        i = next(_serial)
        owner = owners[i % len(owners)]
        site = owner.websites.first()
        install = Install.objects.create(
            id=new_install_id(), account=owner, website=site, installer="wordpress",
            version="6.1.9", url=f"http://site{i}.example/blog", url_domain=f"site{i}.example",
            path="public_html/blog", title=f"Blog {i}", status=Install.Status.INSTALLED,
            time=now - timezone.timedelta(minutes=i))
        Backup.objects.create(account=owner, install=install, install_ref=install.id,
                              website=site, file=f"{i}.tar.gz", installer="wordpress",
                              version="6.1.9", time=install.time)
        Task.objects.create(account=owner, cmd="backup", install=install.id, url=install.url,
                            status=Task.Status.COMPLETED)
        ApiLog.objects.create(cmd="installs", user=owner.username, result=True, status=200,
                              version="1", via="http")


@pytest.fixture
def world(admin, reseller, tmp_path):
    owners = []
    for n in range(4):
        owner = Account.objects.create(username=f"owner{n}", kind="user", owner=reseller,
                                       email=f"o{n}@example.com")
        (tmp_path / owner.username / "public_html").mkdir(parents=True)
        Website.objects.create(account=owner, ws_id="ws1", path=str(tmp_path / owner.username),
                               vhosts={f"http://o{n}.example": "public_html"})
        owners.append(owner)
    return owners


def _gui(account: Account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _queries(get) -> int:
    get()  # warm: the session row, cached settings
    with CaptureQueriesContext(connection) as ctx:
        response = get()
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


PAGES = [
    ("admin", "/gui/installs/"), ("admin", "/gui/backups/"), ("admin", "/gui/tasks/"),
    ("admin", "/gui/users/"), ("reseller", "/gui/installs/"), ("reseller", "/gui/backups/"),
    ("owner", "/gui/installs/"), ("owner", "/gui/backups/"), ("owner", "/gui/tasks/"),
]
API = ["/installs", "/backups", "/tasks", "/users", "/logs"]


@pytest.mark.parametrize("role,path", PAGES)
def test_gui_lists_cost_the_same_queries_for_few_and_many_rows(world, admin, reseller,
                                                               role, path):
    who = {"admin": admin, "reseller": reseller, "owner": world[0]}[role]
    client = _gui(who)
    _seed(world, 8)
    few = _queries(lambda: client.get(path))
    _seed(world, 100)
    many = _queries(lambda: client.get(path))
    assert many == few, (role, path, few, many)


@pytest.mark.parametrize("path", API)
def test_api_lists_cost_the_same_queries_for_few_and_many_rows(world, path):
    key = keys.ensure_keys()["key"]
    api = Client()
    _seed(world, 8)
    few = _queries(lambda: api.get(path, {"limit": 50}, HTTP_X_API_KEY=key))
    _seed(world, 100)
    many = _queries(lambda: api.get(path, {"limit": 50}, HTTP_X_API_KEY=key))
    assert many == few, (path, few, many)
