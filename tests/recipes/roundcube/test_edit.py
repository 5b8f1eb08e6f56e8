"""Roundcube's mail servers are settings of its config.inc.php: an edit of the IMAP or
SMTP server (API) rewrites them there as escaped PHP strings, so the next sign-in goes
to the new IMAP server; sync reads them back; a value that is not a host is refused
before anything changes."""

from __future__ import annotations

import subprocess

import pytest

from tests.recipes.adminer.conftest import ok

from .imap import ImapServer
from .test_login import MAIL_PASS, MAIL_USER, roundcube_login

CONFIG = "config/config.inc.php"
# Quotes, backslashes and the end of PHP code: a value a writer must escape.
NASTY = "a'b\\\\c\\'d\"?><?php echo 'owned'; ?>\n//"


def _config_value(path, key: str) -> str:
    """What PHP itself reads from the written config (not our parser)."""
    code = f"include $argv[1]; echo $config[$argv[2]];"
    return subprocess.run(["php", "-r", code, str(path), key], check=True,
                          capture_output=True, text=True, timeout=30).stdout


def test_a_config_value_is_written_as_an_escaped_php_string(tmp_path):
    from apps.recipes.phpmyadmin.recipe import config_text, rewrite_config
    from apps.recipes.roundcube import config as rc_config

    src = rc_config.new({"db_name": "d", "db_user": "u", "db_pass": "p", "db_host": "h"},
                        "imap.example.org:143", "localhost:587")
    path = tmp_path / "config.inc.php"
    path.write_text(rc_config.rewrite(src, {"imap_host": NASTY}))
    assert _config_value(path, "imap_host") == NASTY
    assert _config_value(path, "smtp_host") == "localhost:587"
    assert rc_config.read(path.read_text())["imap_host"] == NASTY

    pma = tmp_path / "pma.php"
    pma.write_text(rewrite_config(config_text("localhost", "3306", "s" * 32),
                                  {"server_host": NASTY}))
    out = subprocess.run(["php", "-r", "include $argv[1]; echo $cfg['Servers'][1]['host'];",
                          str(pma)], check=True, capture_output=True, text=True).stdout
    assert out == NASTY


@pytest.mark.slow
def test_an_edit_of_the_imap_server_reaches_roundcube(site, worker, api, client):
    from apps.installs.models import Install
    from apps.tasks.models import Task
    from apps.tasks.services import wait_for_task

    user = site.account.username
    url = f"{site.url}/mail"
    with ImapServer(MAIL_USER, MAIL_PASS) as first, ImapServer(MAIL_USER, MAIL_PASS) as second:
        data = ok(api.v1("install", user=user, application="roundcube", url=url,
                         imap_host=f"127.0.0.1:{first.port}"))
        pk, config = data["id"], site.docroot / "mail" / CONFIG
        status, location, _ = roundcube_login(url, MAIL_USER, MAIL_PASS)
        assert status == 302 and first.logins == [MAIL_USER] and not second.logins

        # The edit rewrites config.inc.php; the next sign-in goes to the new server.
        before = config.read_text()
        ok(api.v1("edit", user=user, id=pk, imap_host=f"127.0.0.1:{second.port}",
                  smtp_host="tls://smtp.example.org:465"))
        assert _config_value(config, "imap_host") == f"127.0.0.1:{second.port}"
        assert _config_value(config, "smtp_host") == "tls://smtp.example.org:465"
        # Only those two lines changed (the database and des_key are kept).
        changed = set(config.read_text().splitlines()) ^ set(before.splitlines())
        assert all("imap_host" in line or "smtp_host" in line for line in changed), changed
        install = Install.objects.get(pk=pk)
        assert install.fields["imap_host"] == f"127.0.0.1:{second.port}"
        status, location, _ = roundcube_login(url, MAIL_USER, MAIL_PASS)
        assert status == 302 and "_task=mail" in location, (status, location)
        assert first.logins == [MAIL_USER] and second.logins == [MAIL_USER]

        # The GUI's Edit form has both servers; back to the first IMAP server there.
        client.force_login(site.account)
        form = client.get(f"/gui/installs/{pk}/edit/").content.decode()
        assert 'name="imap_host"' in form and 'name="smtp_host"' in form
        assert f'value="127.0.0.1:{second.port}"' in form
        done = client.post(f"/gui/installs/{pk}/edit/", {
            "url": url, "imap_host": f"127.0.0.1:{first.port}",
            "smtp_host": "tls://smtp.example.org:465", "language": "en", "autoup": "0",
            "autobk": "0", "autobk_daily": "0", "autobk_weekly": "0", "autobk_monthly": "0",
            "db_host": install.db_host, "db_name": install.db_name,
            "db_user": install.db_user, "db_pass": "", "db_prefix": install.db_prefix})
        assert done.status_code == 302, done.content.decode()[-2000:]
        task = Task.objects.filter(install=pk, cmd="edit").latest("created")
        assert wait_for_task(task.id, timeout=120).status == "completed"
        assert _config_value(config, "imap_host") == f"127.0.0.1:{first.port}"
        assert roundcube_login(url, MAIL_USER, MAIL_PASS)[0] == 302
        assert first.logins == [MAIL_USER] * 2 and second.logins == [MAIL_USER]

        # A value that is not a host is refused before anything changes.
        before = config.read_bytes()
        reply = api.v1("edit", user=user, id=pk, imap_host=NASTY).json()
        assert reply["result"] is False and reply["errcode"] == "invalid_argument_imap_host"
        assert config.read_bytes() == before

        # Sync reads what the owner set in the file by hand.
        from apps.recipes.roundcube import config as rc_config

        config.write_text(rc_config.rewrite(config.read_text(),
                                            {"imap_host": "ssl://imap.example.net:993"}))
        ok(api.v1("sync", user=user, id=pk))
        install.refresh_from_db()
        assert install.fields["imap_host"] == "ssl://imap.example.net:993"
        assert install.fields["smtp_host"] == "tls://smtp.example.org:465"
        ok(api.v1("uninstall", user=user, id=pk))
