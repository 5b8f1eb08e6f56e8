"""An install's record: the installs API's members in v1 terms, which backup archives also
keep as their record of the install (so the archive does not depend on the API layer).
``apps.api.shapes.install`` turns it into the v2 wire format."""

from __future__ import annotations

from apps.recipes.fields import api_members, app_fields
from installatron_gui import __version__


def record(i, packages: list | None = None, numbackups: int | None = None) -> dict:
    """An install as the installs API shows it in v1 terms (``packages``: its
    application's stored versions, and ``numbackups`` its backup count, fetched once for a
    whole list). Backup archives keep it as their record of the install."""
    if numbackups is None:
        numbackups = i.backups.count()
    cache_time = int(i.cache_time.timestamp()) if i.cache_time else 0
    data = {
        "id": i.id,
        "installer": i.installer,
        "version": i.version,
        "language": i.language,
        "time": str(int(i.time.timestamp())),
        # 001: the version of the installer that made the record (ours).
        "agent": __version__,
        "owner": i.account.username,
        "status": i.status,
        "path": i.full_path(),
        "path-created": "1" if i.path_created else "0",
        "url": i.url,
        "url-domain": i.url_domain,
        "db-host": i.db_host,
        "db-type": i.db_type,
        "db-name": i.db_name,
        "db-user": i.db_user,
        "db-pass": "",
        "db-prefix": i.db_prefix,
        "title": i.title,
        "list-files": list(i.list_files),
        "list-tables": list(i.list_tables),
        "autoup": str(i.autoup),
        "autoup-backup": "1" if i.autoup_backup else "0",
        "autoup-plugins": str(i.autoup_plugins),
        "autoup-themes": str(i.autoup_themes),
        "bkloc": i.bkloc_display(),
        "autobk": i.autobk or "0",
        "autobk-daily": str(i.autobk_daily),
        "autobk-weekly": str(i.autobk_weekly),
        "autobk-monthly": str(i.autobk_monthly),
        "list-notification": list(i.notification),
        **api_members(i.recipe(), i.fields or {}),
        **secret_members(i.recipe()),
        "cache-tables": str(i.cache_tables),
        "link-admin": i.link_admin(),
        "cache-files": str(i.cache_files),
        "cache-time": str(cache_time),
        "cache-numbackups": str(numbackups),
        "task": i.task_id,
        "stage-of": i.stage_of,
        # Updates (apps/updates/services.py).
        "time-updated": str(int(i.time_updated.timestamp())) if i.time_updated else "",
        "version-autouped": i.version_autouped,
        "version-autouped-attempts": str(i.version_autouped_attempts),
        "version-notified": i.version_notified,
        **i.versions_available(packages),
    }
    return data


def secret_members(recipe) -> dict:
    """``cf-passwd`` as 001's view and backups examples show it: present and empty (a
    password is never kept nor shown); the same for any password field of the app."""
    if recipe is None:
        return {}
    return {f"cf-{name}": "" for name, spec in app_fields(recipe).items()
            if spec["type"] == "password"}


def kept_by_backups(data: dict) -> dict:
    """The members of an install record (``record``'s, or the one an archive keeps) that a
    backup record shows as they were when it was taken (001 3.6): agent, path-created,
    autoup, autobk, cf-* and version-*."""
    return {name: value for name, value in data.items()
            if name in ("agent", "path-created", "autoup", "autobk")
            or name.startswith(("cf-", "version-"))}
