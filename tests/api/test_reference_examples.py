"""The reference documents' curl, PHP and CLI examples, run as written against a running
server (``live_server``); only the host and the key are substituted.

The install examples (3.3) use a local folder as the website path instead of ftp://.
As written they carry no ``user`` member, which 001's header table makes "optional but
recommended": the website id then names the account (see README). They are sent with
``dryrun=1`` here (the test store has no WordPress package); the successful install path
is exercised by tests/installs/test_api_install.py on a real worker.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from apps.accounts.models import Account, Website

EXAMPLES = Path(__file__).parent / "examples"
ROOT = Path(__file__).resolve().parents[2]
REF_KEY = "8327b11a311aad5a8092d26d209c9e13"


def _curl(example: str, host: str, key: str) -> dict:
    """Run a curl command line of the guide with its host and key replaced."""
    command = example.replace("https://installatron.com", host).replace(REF_KEY, key)
    argv = shlex.split(command.replace("\\\n", " "))
    assert argv[0] == "curl"
    out = subprocess.run([*argv, "-sS"], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def _php(script: str, host: str, key: str, **env) -> str:
    # EXAMPLES / an absolute path is that absolute path
    out = subprocess.run(["php", str(EXAMPLES / script)], capture_output=True, text=True,
                         timeout=60, check=True,
                         env={**os.environ, "ITRON_HOST": host, "ITRON_KEY": key, **env})
    return out.stdout


def _documented_shape(body: dict) -> None:
    assert set(body) >= {"result", "message", "status", "data"}
    assert isinstance(body["result"], bool) and isinstance(body["message"], str)
    if not body["result"]:
        assert isinstance(body["errcode"], str) and body["errcode"]


def test_guixfer_php_example(live_server, api_key, client):
    """As written, 3.17.1's example sends no ``user`` (001's header makes it optional):
    the first website's id names the account, and the session works once in the GUI."""
    printed = _php("guixfer.php", live_server.url, api_key)
    match = re.fullmatch(re.escape(live_server.url) + r"/index\.php\?s=([A-Za-z0-9_-]{32,})",
                         printed.removeprefix("Location: "))
    assert printed.startswith("Location: ") and match, printed
    assert Website.objects.filter(account__username="website123").count() == 2
    response = client.get("/index.php", {"s": match.group(1)})
    assert response.status_code == 302 and response["Location"].endswith("/gui/")
    assert client.get("/index.php", {"s": match.group(1)}).status_code == 403


EDITUSER = '''curl https://installatron.com/server/v1 \\
  -d "key=8327b11a311aad5a8092d26d209c9e13" \\
  -d "cmd=edituser" \\
  -d "user=r12345"'''
SUBRESELLER = '''curl https://installatron.com/server/v1 \\
  -d "key=8327b11a311aad5a8092d26d209c9e13" \\
  -d "cmd=edituser" \\
  -d "reseller=r12345" \\
  -d "user=r12346"'''
OWNED_INSTALLS = '''curl https://installatron.com/server/v1 \\
  -d "key=8327b11a311aad5a8092d26d209c9e13" \\
  -d "cmd=installs" \\
  -d "user=r12346" \\
  -d "filter-ownedaccounts=yes"'''


def test_the_edituser_sub_reseller_and_owned_installs_curl_examples(live_server, api_key,
                                                                   tmp_path):
    from apps.installs.models import Install

    body = _curl(EDITUSER, live_server.url, api_key)
    _documented_shape(body)
    assert body["result"] is True and body["data"]["user"] == "r12345"
    body = _curl(SUBRESELLER, live_server.url, api_key)
    _documented_shape(body)
    assert body["result"] is True, body
    sub = Account.objects.get(username="r12346")
    assert sub.owner.username == "r12345" and sub.owner.kind == "reseller"
    # an install of an account below r12346 shows up with filter-ownedaccounts
    owner = Account.objects.create(username="cust1", kind="user", owner=sub)
    website = Website.objects.create(account=owner, ws_id="w1", path=str(tmp_path),
                                     vhosts={"http://cust1.test": ""})
    Install.objects.create(account=owner, website=website, installer="wordpress",
                           version="6.4.2", path="blog", url="http://cust1.test/blog",
                           url_domain="cust1.test", status="installed")
    Account.objects.filter(pk=sub.pk).update(kind="reseller")
    body = _curl(OWNED_INSTALLS, live_server.url, api_key)
    _documented_shape(body)
    assert body["result"] is True
    assert [i["url"] for i in body["data"]] == ["http://cust1.test/blog"]
    assert body["data"][0]["installer"] == "wordpress" and "list-files" in body["data"][0]


INSTALL_CURL = '''curl https://installatron.com/server/v1 \\
  -d "key=8327b11a311aad5a8092d26d209c9e13" \\
  -d "websites[0][id]=ws124" \\
  -d "websites[0][email]=user@mail.com" \\
  -d "websites[0][path]={path}" \\
  -d "websites[0][vhosts][http://company.com]=httpdocs" \\
  -d "websites[0][vhosts][http://www.company.com]=httpdocs" \\
  -d "cmd=install" \\
  -d "application=wordpress" \\
  -d "url=http://company.com/blog" \\
  -d "db_name=db123" \\
  -d "db_user=db123" \\
  -d "db_pass=sdfsdf1" \\
  -d "db_host=localhost"'''


def _nothing_written(site: Path) -> None:
    from apps.installs.models import Install

    assert not Install.objects.exists()
    # dryrun: the header's changes are rolled back with everything else
    assert not Website.objects.filter(ws_id="ws124").exists()
    assert list(site.iterdir()) == [site / "httpdocs"]


# With no WordPress package in the test store the checks stop at the application; what
# matters here is that the user-less header is taken (no empty_argument_user).
PAST_THE_HEADER = {"invalid_argument_application", "invalid_argument_version"}


def test_the_install_curl_example(live_server, api_key, tmp_path):
    site = tmp_path / "company.com"
    (site / "httpdocs").mkdir(parents=True)
    example = INSTALL_CURL.format(path=site) + ' \\\n  -d "dryrun=1"'
    body = _curl(example, live_server.url, api_key)
    _documented_shape(body)
    assert body["errcode"] in PAST_THE_HEADER, body
    _nothing_written(site)


def test_the_install_php_example(live_server, api_key, tmp_path):
    site = tmp_path / "company.com"
    (site / "httpdocs").mkdir(parents=True)
    printed = _php("install.php", live_server.url, api_key, ITRON_SITE=str(site),
                   ITRON_DRYRUN="1")
    # Without CURLOPT_RETURNTRANSFER the example prints the reply itself, then "Success! ".
    reply, _, tail = printed.rpartition("}")
    body = json.loads(reply + "}")
    _documented_shape(body)
    assert body["errcode"] in PAST_THE_HEADER, body
    assert "sdfsdf1" not in printed
    _nothing_written(site)


CLI_EXAMPLE = ('{ "key": "8327b11a311aad5a8092d26d209c9e13", "websites": [{ "id":"ws124", '
               '"path":"/var/www/vhosts/company.com", "vhosts":{ "http://company.com":"httpdocs", '
               '"http://www.company.com":"httpdocs" }, "email":"user@mail.com", "uid":153, '
               '"gid":153 }], "cmd":"install", "application":"wordpress", '
               '"url":"http://company.com/blog", "db_name":"db123", "db_user":"db123", '
               '"db_pass":"sdfsdf1", "db_host":"localhost" }')


def test_the_cli_echo_pipe_example(db):
    from apps.api.management.commands.installatron import run_cli

    code, body = run_cli([], io.StringIO(json.dumps(json.loads(CLI_EXAMPLE) | {"dryrun": "1"})))
    _documented_shape(body)
    assert code == 1 and body["errcode"] in PAST_THE_HEADER
    # with a user, the same pipe reaches the same install checks
    with_user = json.loads(CLI_EXAMPLE) | {"user": "dev1", "dryrun": "1"}
    code, body = run_cli([], io.StringIO(json.dumps(with_user)))
    _documented_shape(body)
    assert body["errcode"] in {"invalid_argument_application", "invalid_argument_version"}


def test_the_cli_wrapper_reads_stdin_and_takes_dash_dash_arguments(transactional_db, api_key):
    """bin/installatron for real: a subprocess on the test database, with no key."""
    from django.db import connection

    env = {**os.environ, "DB_NAME": connection.settings_dict["NAME"]}
    run = lambda args, stdin="": subprocess.run(  # noqa: E731
        [str(ROOT / "bin" / "installatron"), *args], input=stdin, capture_output=True,
        text=True, timeout=120, env=env)
    out = run([], '{"cmd": "edituser", "user": "cli1", "key": "not-a-key", "type": "reseller"}')
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["data"]["type"] == "reseller"
    out = run(["--cmd", "users", "--user", "cli1", "--api_version", "2.0"])
    body = json.loads(out.stdout)
    assert out.returncode == 0 and body["data"][0]["suspended"] is False
    out = run(["--cmd", "deleteuser", "--user", "nobody"])
    assert out.returncode == 1 and json.loads(out.stdout)["errcode"] == "invalid_argument_user"
    from apps.api.models import ApiLog

    logged = list(ApiLog.objects.values_list("cmd", "via", "address"))
    assert ("edituser", "cli", None) in logged
    assert sys.executable  # the wrapper uses the project's venv, not this interpreter
