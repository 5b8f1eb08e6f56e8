"""A hosting company's existing Installatron panel class (``panel.php``), used unchanged.

Each call runs PHP's CLI on php_runner.php (shipped next to this module), which defines
the ``i_panel``/``itron`` scaffolding of 001 section 4, loads ``panel.php``, sets
``itron::$session`` to the website and calls one method of ``class i_custom extends
i_panel``. The request (arguments, website, passwords) goes on stdin; argv holds only the
runner and the panel.php path, and no shell is involved.

Options (PANEL["OPTIONS"]): ``path`` (default /usr/local/installatron/etc/panel.php),
``php`` (the PHP binary, default ``php``), ``timeout`` (seconds per call, default 120).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
from pathlib import Path

from installatron_gui.lib.children import child_env

from .base import BasePanel, DatabaseSpec, PanelError
from .http import scrub

log = logging.getLogger(__name__)

RUNNER = Path(__file__).with_name("php_runner.php")
DEFAULT_PATH = "/usr/local/installatron/etc/panel.php"
REPLY_MARK = "ITRON-REPLY "
# A reply is a few strings; anything bigger is not one (and is not kept in memory).
REPLY_MAX = 1 << 20
# php.ini settings the runner relies on: errors to stderr (stdout carries the reply), no
# arguments in exception traces (one of them is a password), no time limit of PHP's own
# (our timeout governs).
PHP_INI = ["-d", "display_errors=stderr", "-d", "log_errors=0", "-d", "html_errors=0",
           "-d", "zend.exception_ignore_args=1", "-d", "max_execution_time=0"]

# Which errcode a failing method gives: the database ones are Installatron's; a path hook
# that fails leaves the website without a usable path.
ERRCODES = {"generateDB": "failed_database_create", "createDB": "failed_database_create",
            "removeDB": "failed_database_remove"}
PATH_ERRCODE = "invalid_argument_websites"


class PhpPanel(BasePanel):
    """Calls generateDB, createDB, removeDB and the path hooks of an existing panel.php."""

    def __init__(self, **options):
        super().__init__(**options)
        self.path = str(options.get("path") or DEFAULT_PATH)
        self.php = str(options.get("php") or "php")
        self.timeout = float(options.get("timeout") or 120)

    # -- plumbing
    def _fail(self, method: str, message: str, secrets: list[str]) -> PanelError:
        message = scrub(message, secrets)
        log.warning("php panel: %s failed: %s", method, message)
        return PanelError(message, errcode=ERRCODES.get(method, PATH_ERRCODE))

    def _call(self, method: str, args: list, website: dict | None,
              secrets: list[str] | None = None) -> tuple[bool, object]:
        """Run ``i_custom::method(*args)``; (whether panel.php defines it, its result)."""
        secrets = [s for s in (secrets or []) if s]
        # Website members may carry credentials too (a path URI with a password).
        secrets += [v for v in _strings(website) if ":" in v and "@" in v]
        request = json.dumps({"method": method, "args": args, "session": website or {}})
        argv = [self.php, *PHP_INI, str(RUNNER), self.path]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True,
                                    cwd=os.path.dirname(self.path) or None, env=child_env())
        except OSError as exc:
            raise self._fail(method, f"PHP ({self.php}) could not be started to run the "
                             f"panel class: {exc.strerror or exc}.", secrets) from None
        try:
            out, err = proc.communicate(request.encode(), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            # The whole group: a panel.php that started children (curl, a CLI) stops too.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise self._fail(method, f"The panel class did not answer {method} within "
                             f"{self.timeout:g} seconds.", secrets) from None
        reply = _reply_of(out)
        if reply is None:
            detail = err.decode(errors="replace").strip().splitlines()
            detail = f": {detail[-1][:300]}" if detail else ""
            raise self._fail(method, f"PHP gave no answer to {method} (exit status "
                             f"{proc.returncode}){detail}.", secrets)
        if not reply.get("ok"):
            kind = reply.get("error")
            text = str(reply.get("message") or "")[:500]
            what = {"fatal": "a PHP fatal error", "exception": "an uncaught exception",
                    "exit": "exit() in the panel class",
                    "no_class": "no usable panel class"}.get(kind, "a bad request")
            raise self._fail(method, f"The panel class failed in {method} with {what}: "
                             f"{text}", secrets)
        return bool(reply.get("defined")), reply.get("result")

    def _require(self, method: str, args: list, website: dict | None,
                 secrets: list[str] | None = None):
        defined, result = self._call(method, args, website, secrets)
        if not defined:
            raise self._fail(method, f"The panel class (panel.php) does not define {method}.",
                             [])
        return result

    # -- contract (BasePanel checks what the three database methods answer)
    def generate_db(self, db_type: str, website: dict):
        """generateDB($type): array(name, user, pass, host, table prefix); a null pass
        gets a generated one, ``false`` or anything else fails."""
        result = self._require("generateDB", [db_type], website)
        if isinstance(result, list):
            result = [None if v is None else str(v) for v in result]
            if len(result) == 5 and not result[4]:
                result[4] = None
            return DatabaseSpec(*result, type=db_type) if 4 <= len(result) <= 5 else result
        return result

    def create_db(self, spec: DatabaseSpec, website: dict):
        """createDB($name, $user, $pass, $type, $host): ``false`` fails the operation."""
        return self._require("createDB", [spec.name, spec.user, spec.password, spec.type,
                                          spec.host], website, [spec.password])

    def remove_db(self, name: str, db_type: str, website: dict):
        """removeDB($name, $type): ``false`` fails the operation."""
        return self._require("removeDB", [name, db_type], website)

    def enable_path(self, website: dict) -> str | None:
        """enablePathByWebsite($websiteInfo): the path URI (null/false: none)."""
        return _uri(self._call("enablePathByWebsite", [website], website)[1])

    def disable_path(self, website: dict) -> None:
        """disablePathByWebsite($websiteInfo): ``false`` is logged by the caller."""
        if self._call("disablePathByWebsite", [website], website)[1] is False:
            raise self._fail("disablePathByWebsite", "disablePathByWebsite returned false.", [])

    def enable_secondary_path(self, website: dict) -> str | None:
        """enableSecondaryPathByWebsite($websiteInfo): an ssh:// URI (null/false: none)."""
        return _uri(self._call("enableSecondaryPathByWebsite", [website], website)[1])

    def disable_secondary_path(self, website: dict) -> None:
        """disableSecondaryPathByWebsite($websiteInfo): ``false`` is logged by the caller."""
        if self._call("disableSecondaryPathByWebsite", [website], website)[1] is False:
            raise self._fail("disableSecondaryPathByWebsite",
                             "disableSecondaryPathByWebsite returned false.", [])


def _reply_of(out: bytes) -> dict | None:
    """The runner's reply: the last ITRON-REPLY line of stdout, or None."""
    if len(out) > REPLY_MAX:
        return None
    for line in reversed(out.decode(errors="replace").splitlines()):
        if line.startswith(REPLY_MARK):
            try:
                reply = json.loads(line[len(REPLY_MARK):])
            except ValueError:
                return None
            return reply if isinstance(reply, dict) else None
    return None


def _uri(result) -> str | None:
    if result is None or result is False or result == "":
        return None
    if not isinstance(result, str):
        raise PanelError("The panel class returned a path that is not a string.",
                         errcode=PATH_ERRCODE)
    return result


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
