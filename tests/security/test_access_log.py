"""No API key, sign-in token or password in the access log (issue 15, finding 7).

The attack: the master API key sent as ``key=`` in a query string, and spent ``s=``
sign-in tokens, were written to gunicorn's access log. Here gunicorn runs with the very
options scripts/run.sh gives it, real requests carry a real key, a real token and a
password inside a URI, and its log is read.
"""

from __future__ import annotations

import logging
import re
import shlex
import signal
import subprocess
import sys
import urllib.error
import urllib.request

from installatron_gui.lib.accesslog import RedactQueryFilter, redact_query
from tests.fixtures.services import free_port, wait_for_port

from .conftest import ROOT, manage, mode, product_env


def run_sh_gunicorn_args() -> list[str]:
    """The gunicorn options in scripts/run.sh (after ``-m gunicorn``, before ``&``)."""
    text = (ROOT / "scripts" / "run.sh").read_text().replace("\\\n", " ")
    line = next(row for row in text.splitlines() if "-m gunicorn" in row)
    args = shlex.split(line.split("-m gunicorn", 1)[1].rsplit("&", 1)[0])
    assert "--access-logfile" in args and "--bind" in args
    return args


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str, **headers) -> int:
    """The status of one request (a redirect is not followed)."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_gunicorn_as_run_sh_starts_it_logs_no_key_token_or_password(open_parent):
    data = open_parent / "var"
    manage(data, "migrate", "--noinput", "-v0")
    manage(data, "bootstrap")
    key = re.search(r"^key=(\w+)$", (data / "etc" / "settings.ini").read_text(), re.M)[1]
    port = free_port()
    link = manage(data, "handoff", "admin", "--base", f"http://127.0.0.1:{port}").strip()
    token = link.split("s=", 1)[1]
    data.chmod(0o755)  # as an earlier version left it: wsgi.py makes it private again

    args = run_sh_gunicorn_args()
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    args[args.index("--workers") + 1] = "1"
    log = open_parent / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *args], cwd=ROOT,
                                env=product_env(data), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_for_port(port, timeout=30)
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/index.php?cmd=installs&key={key}") == 200
        assert get(link) == 302, log.read_text()  # signed in: the token is spent now
        assert get(f"{base}/index.php?cmd=backup&key2=WrongKey2&bkloc="
                   "sftp%3A%2F%2Fbob%3AHunter2pw%40backup.example%2Fb",
                   Referer=f"{base}/index.php?s={token}") in (200, 400, 403), log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    text = log.read_text()

    assert "GET /index.php?cmd=installs&key=*** HTTP/1.1" in text, text
    assert "/index.php?s=*** HTTP/1.1" in text, text
    for secret in (key, token, "WrongKey2", "Hunter2pw"):
        assert secret not in text, secret
    assert mode(data) == 0o700


def test_django_log_lines_are_redacted_too():
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("GET /index.php?s=abc123&next=/gui/ HTTP/1.1", 302, 0), None)
    assert RedactQueryFilter().filter(record)
    assert record.getMessage() == '"GET /index.php?s=***&next=/gui/ HTTP/1.1" 302 0'
    assert redact_query("cmd=edit&db_pass=x&passwd=y&source_ftu=ftp%3A%2F%2Fa%3Ab%40h&ok=1") \
        == "cmd=edit&db_pass=***&passwd=***&source_ftu=***&ok=1"
    assert redact_query("url=ftp%3A%2F%2Fa%3Asecret%40h%2F") == "url=***"
