"""What this host lacks to run an application: its manifest's ``requirements`` (``php``,
``php_extensions``) against the PHP of this machine. The browser (API and GUI) shows the
reasons beside the application; an install on a local website is refused with
``invalid_argument_version_unmetrequirements`` before anything is made
(``apps.installs.requirements``).

``php_extensions`` is written as the manifests write it: names separated by commas, each
possibly a choice (``mysqli or pdo_mysql``). What cannot be measured here (no php-cli) is
not guessed.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from django.utils.translation import gettext as _

from installatron_gui.lib.children import child_env
from installatron_gui.lib.versions import compare

ERRCODE = "invalid_argument_version_unmetrequirements"
_EXTENSION_RE = re.compile(r"^[A-Za-z0-9_ ]{1,64}$")


def in_range(version: str, spec: str) -> bool:
    """Whether ``version`` lies in the range ``spec`` ("5.6.20-", "-8.3", "7.4-8.3")."""
    low, sep, high = str(spec).strip().partition("-")
    if not sep:  # a bare version means "at least"
        low, high = low, ""
    if low.strip() and compare(version, low.strip()) < 0:
        return False
    return not (high.strip() and compare(version, high.strip()) > 0)


def _php(code: str, *, bare: bool) -> str | None:
    php = shutil.which("php")
    if php is None:
        return None
    argv = [php, "-n", "-r", code] if bare else [php, "-r", code]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True,
                                env=child_env())
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


@functools.lru_cache(maxsize=1)
def local_php_version() -> str | None:
    """The PHP this machine runs (None: no php-cli here, nothing to compare with)."""
    return _php("echo PHP_VERSION;", bare=True)


@functools.lru_cache(maxsize=1)
def local_php_extensions() -> frozenset[str] | None:
    """The extensions this machine's PHP loads (its own ini files read), lower-case."""
    out = _php("echo implode(\"\\n\", get_loaded_extensions());", bare=False)
    if out is None:
        return None
    return frozenset(line.strip().lower() for line in out.splitlines() if line.strip())


def extension_choices(spec: str) -> list[list[str]]:
    """``"session, mysqli or pdo_mysql"`` -> ``[["session"], ["mysqli", "pdo_mysql"]]``."""
    groups = []
    for part in str(spec or "").split(","):
        names = [n.strip().lower() for n in re.split(r"\s+or\s+|\|", part) if n.strip()]
        names = [n for n in names if _EXTENSION_RE.match(n)]
        if names:
            groups.append(names)
    return groups


def database_unmet(recipe, account) -> list[str]:
    """A sentence when ``recipe`` needs a database and none can be had on any of
    ``account``'s websites: each takes only the databases listed for it (no panel makes
    one) and lists none, or the application cannot share one (no table prefix). The
    install says the same (``failed_database_create``, ``invalid_argument_application``)
    before anything is made."""
    from apps.accounts.models import Website

    if account is None or not recipe.needs_database:
        return []
    # Read once per account object: a listing asks for every application.
    websites = getattr(account, "_catalog_websites", None)
    if websites is None:
        websites = list(Website.objects.filter(account=account).only("db_mode", "databases"))
        account._catalog_websites = websites
    if not websites:
        return []

    def can_have_one(website) -> bool:
        if website.db_mode != Website.DbMode.MANUAL:
            return True  # the panel makes one
        return recipe.supports_table_prefix and any(
            db.get("type", "mysql") == "mysql" for db in website.databases or [])

    if any(can_have_one(w) for w in websites):
        return []
    return [_("%(name)s needs a MySQL database, and none can be made or shared on your "
              "websites; ask your host for one.") % {"name": recipe.name}]


def unmet(recipe, account=None) -> list[str]:
    """Sentences saying what this host's PHP lacks for ``recipe`` (empty: nothing known),
    and with ``account`` whether a database can be had for it."""
    wanted = recipe.requirements
    reasons = database_unmet(recipe, account)
    php = local_php_version()
    if wanted.get("php") and php and not in_range(php, wanted["php"]):
        reasons.append(_("%(name)s needs PHP %(wanted)s; this server runs PHP %(php)s.")
                       % {"name": recipe.name, "wanted": wanted["php"], "php": php})
    loaded = local_php_extensions()
    if loaded is not None:
        missing = [" or ".join(group) for group in extension_choices(
            wanted.get("php_extensions", "")) if not loaded & set(group)]
        if missing:
            reasons.append(_("%(name)s needs the PHP extensions %(missing)s, which this "
                             "server's PHP does not have.")
                           % {"name": recipe.name, "missing": ", ".join(missing)})
    return reasons
