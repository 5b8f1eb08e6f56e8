"""The panel class: where databases come from (Installatron's ``i_panel``).

A backend subclasses BasePanel; settings.PANEL names it (a key of PANEL_BACKENDS or a
dotted path) with its OPTIONS. Methods raise only PanelError, with secrets scrubbed.
"""

from __future__ import annotations

from dataclasses import dataclass

from installatron_gui.lib.errors import InstallatronError


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


class BasePanel:
    """Contract of a panel backend. ``website`` is Website.as_session(): the request
    header's members for the selected website, including custom ``_`` members (as
    ``itron::$session`` is in the reference)."""

    def __init__(self, **options):
        self.options = options

    def generate_db(self, db_type: str, website: dict) -> DatabaseSpec:
        """Choose a UNIQUE database name, user, password (None: we generate one), host
        and table prefix (None: the application's default) for a new install."""
        raise NotImplementedError

    def create_db(self, spec: DatabaseSpec, website: dict) -> None:
        """Create the database and a user limited to it. Raise PanelError on failure."""
        raise NotImplementedError

    def remove_db(self, name: str, db_type: str, website: dict) -> None:
        """Remove the database (and its user where users are tied to databases)."""
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
