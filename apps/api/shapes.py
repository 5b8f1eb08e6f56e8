"""The wire format: how installs, backups, templates, tasks and plans look in a reply.

Only the API builds replies; models and services hand it objects. Each shape is built
with the v1 member names the integration guide shows, and v2's renames come from the
shared table (``v2names``), so the two versions never describe an object differently.
``db-pass`` is present where panels read it, but always empty: secrets never leave the
server in a reply.
"""

from __future__ import annotations

import posixpath

from apps.installs.record import record
from apps.recipes.fields import api_members, stored

from .v2names import for_version, install_to_v2


def install(i, v2: bool, packages: list | None = None, numbackups: int | None = None) -> dict:
    """An install as the installs API shows it (apps.installs.record, in v2 terms for v2)."""
    data = record(i, packages, numbackups)
    return install_to_v2(data) if v2 else data


def install_view(i, extra: dict, v2: bool) -> dict:
    """The view API's record: the installs API's members, the backup count, add-ons."""
    data = install(i, False)
    data.update(extra)
    return for_version(data, v2)


def install_plan(plan, v2: bool) -> dict:
    """What an install dryrun answers: the values that would be used, secrets left out."""
    return for_version({
        "installer": plan.application,
        "version": plan.version,
        "language": plan.language,
        "url": plan.url,
        "url-domain": plan.url_domain,
        "path": posixpath.join(plan.website.display_path, plan.target),
        "db-host": plan.db.host,
        "db-name": plan.db.name,
        "db-user": plan.db.user,
        "db-prefix": plan.db.prefix,
        **api_members(plan.recipe, stored(plan.recipe, plan.fields)),
    }, v2)


def update_plan(plan, v2: bool) -> dict:
    """What an update dryrun answers: the versions and whether a backup would be taken."""
    return {"id": plan.install.id, "version": plan.version,
            ("version_previous" if v2 else "version-previous"): plan.previous,
            "upgrade": plan.kind or "none", "backup": plan.backup,
            "plugin": plan.plugins, "theme": plan.themes}


def template(t, v2: bool) -> dict:
    """The templates API's record."""
    data = {
        "id": t.id, "installer": t.installer, "version": t.version,
        "language": t.language, "owner": t.account.username, "title": t.title,
        "url": t.url, "db-prefix": t.db_prefix, "list-files": list(t.list_files),
        "list-tables": list(t.list_tables), "template-install": t.install_ref,
        "time": str(int(t.time.timestamp())), "cache-archive": str(t.size),
    }
    return install_to_v2(data) if v2 else data


def backup(b, v2: bool) -> dict:
    """The backups API's record."""
    t = str(int(b.time.timestamp())) if b.time else ""
    bt = str(int(b.backup_time.timestamp()))
    expiry = str(int(b.expiry.timestamp())) if b.expiry else ""
    data = {
        "id": b.id, "file": str(b.archive_path), "installer": b.installer,
        "version": b.version, "language": b.language, "time": t,
        "owner": b.account.username, "path": b.full_path(), "url": b.url,
        "url-domain": b.url_domain, "db-host": b.db_host, "db-type": b.db_type,
        "db-name": b.db_name, "db-user": b.db_user, "db-pass": "",
        "db-prefix": b.db_prefix, "list-files": list(b.list_files),
        "list-tables": list(b.list_tables), "title": b.title,
        "bkloc": b.backup_location, "backup-install": b.install_id or b.install_ref,
        "backup-location": b.backup_location, "backup-time": bt,
        "backup-filename": b.backup_filename, "cache-time": bt,
        "cache-archive": str(b.size), "checksum": b.checksum, "expiry": expiry,
    }
    return install_to_v2(data) if v2 else data


# Labels stored under another spelling than the documents' (001 3.16: _tasks_backuping).
TASK_LABELS = {"_tasks_backingup": "_tasks_backuping"}


def task(t) -> dict:
    """The tasks API's member names (the reference's percentMin/percentMax)."""
    return {
        "id": t.id,
        "user": t.account.username,
        "ws_label": t.ws_label,
        "url": t.url,
        "title": t.title,
        "label": TASK_LABELS.get(t.label, t.label),
        "status": t.status,
        "percentMin": t.percent_min,
        "percentMax": t.percent_max,
        "message": t.message,
        "errcode": t.errcode or None,
        "cmd": t.cmd,
        "install": t.install,
        "time": int(t.created.timestamp()),
    }
