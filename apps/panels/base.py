"""The panel class: where databases come from (Installatron's ``i_panel``).

A backend subclasses BasePanel; settings.PANEL names it (a key of PANEL_BACKENDS or a
dotted path) with its OPTIONS. Methods raise only PanelError, with secrets scrubbed.

The reference's panel class answers ``false`` for a failure and ``null`` for "let
Installatron choose"; BasePanel holds every backend to that: a ``generate_db`` without a
password gets a generated one, and a ``create_db``/``remove_db`` that returns False (or
``generate_db`` that returns nothing) raises PanelError, whoever calls it.
"""

from __future__ import annotations

import functools
import secrets
import string
from dataclasses import dataclass

from installatron_gui.lib.errors import InstallatronError

PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LEN = 32


def generate_password(length: int = PASSWORD_LEN) -> str:
    """Letters and digits only: safe in wp-config.php, shell-free configs and URLs."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


class PanelError(InstallatronError):
    """The panel could not do what was asked (errcode failed_database_create by default)."""

    errcode = "failed_database_create"
    status = 500


@dataclass
class DatabaseSpec:
    """What generate_db returns: Installatron's (name, user, pass, host, table prefix)."""

    name: str
    user: str
    password: str | None
    host: str
    prefix: str | None = None
    type: str = "mysql"


def _spec_of(result) -> DatabaseSpec:
    """generate_db's answer as a DatabaseSpec with a password; PanelError if it is none."""
    if isinstance(result, list | tuple) and 4 <= len(result) <= 5:
        # The reference's array(name, user, pass, host, table prefix).
        result = DatabaseSpec(*(None if v is None else str(v) for v in result))
    if not isinstance(result, DatabaseSpec) or not result.name or not result.user:
        raise PanelError("The panel class did not choose a database name and user "
                         "(generate_db returned nothing usable).")
    if not result.password:
        result.password = generate_password()  # 001: "let Installatron create" it
    return result


def _check_generate(method):
    @functools.wraps(method)
    def generate_db(self, db_type, website):
        return _spec_of(method(self, db_type, website))

    return generate_db


def _check_create(method):
    @functools.wraps(method)
    def create_db(self, spec, website):
        if method(self, spec, website) is False:
            raise PanelError(f"The panel could not create the database {spec.name} "
                             "(create_db reported a failure).")

    return create_db


def _check_remove(method):
    @functools.wraps(method)
    def remove_db(self, name, db_type, website):
        if method(self, name, db_type, website) is False:
            raise PanelError(f"The panel could not remove the database {name} "
                             "(remove_db reported a failure).",
                             errcode="failed_database_remove")

    return remove_db


_CONTRACT = {"generate_db": _check_generate, "create_db": _check_create,
             "remove_db": _check_remove}


class BasePanel:
    """Contract of a panel backend. ``website`` is Website.as_session(): the request
    header's members for the selected website, including custom ``_`` members (as
    ``itron::$session`` is in the reference).

    A subclass's ``generate_db``, ``create_db`` and ``remove_db`` are wrapped when the
    class is made, so what they answer is checked for every caller (see the module)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, check in _CONTRACT.items():
            if name in cls.__dict__:
                setattr(cls, name, check(cls.__dict__[name]))

    def __init__(self, **options):
        self.options = options

    def generate_db(self, db_type: str, website: dict) -> DatabaseSpec:
        """Choose a UNIQUE database name, user, password (None or "": we generate one),
        host and table prefix (None: the application's default) for a new install. The
        reference's 5-item array (name, user, pass, host, prefix) is accepted too;
        returning nothing is a failure (PanelError)."""
        raise NotImplementedError

    def create_db(self, spec: DatabaseSpec, website: dict) -> bool | None:
        """Create the database and a user limited to it. Raise PanelError on failure;
        returning False (the reference's ``false``) counts as failure too."""
        raise NotImplementedError

    def remove_db(self, name: str, db_type: str, website: dict) -> bool | None:
        """Remove the database (and its user where users are tied to databases). Raise
        PanelError on failure; returning False counts as failure (errcode
        failed_database_remove), and the database is not taken as removed."""
        raise NotImplementedError

    def database_exists(self, name: str, db_type: str, website: dict) -> bool | None:
        """Whether the database exists (None: this panel cannot tell). Restore uses it to
        recreate a database that was deleted together with its user."""
        return None

    # Section 4.1 of the reference: a path asked for only when needed.
    def enable_path(self, website: dict) -> str | None:
        """Return the website's path URI, or None to use the one the header gave."""
        return None

    def disable_path(self, website: dict) -> None:
        """Called 30 minutes to 4 hours after a session's last action."""

    # Section 4.2: a faster (shell) channel asked for around file work.
    def enable_secondary_path(self, website: dict) -> str | None:
        """Return an ssh:// URI for bulk file work, or None."""
        return None

    def disable_secondary_path(self, website: dict) -> None:
        """Called as soon as the secondary channel is no longer needed."""


def provides_paths(panel: BasePanel | None = None) -> bool:
    """Whether the panel class implements ``enable_path`` (section 4.1 of the reference):
    then the request header may leave a website's path out, to be asked for when needed."""
    cls = type(panel or get_panel())
    return cls.enable_path is not BasePanel.enable_path


def get_panel(name: str | None = None, options: dict | None = None) -> BasePanel:
    """The configured panel backend (settings.PANEL)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    backend = name or settings.PANEL["BACKEND"]
    path = settings.PANEL_BACKENDS.get(backend, backend)
    cls = import_string(path)
    if options is None:
        options = settings.PANEL.get("OPTIONS") or {}
    return cls(**options)
