"""Backups of installed applications: the service entry points.

Taking a backup (``create_backup``), importing an archive as one, editing, deleting and
expiring backups, and the ``check_*``/``start_*`` pairs the API and the GUI call: the
check refuses what cannot be done before anything changes, the start creates the task
row, holds the install through the installs app's busy fence and queues the Celery task
(``tasks.py``) once the transaction commits. The work itself is in ``archive.py`` (the
archive), ``restore.py`` (restore, push) and ``copies.py`` (restore to, clone).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Account
from apps.installs import record as records
from apps.installs.errors import InstallError
from apps.installs.holds import busy_error, hold_install
from apps.installs.models import Install
from apps.installs.notifications import notify
from apps.installs.reach import open_website
from apps.installs.record import record
from apps.installs.steps import Report, Step, run_steps
from apps.tasks.models import Task
from apps.tasks.services import RateMeter, enqueue
from apps.transports.base import TransportError
from installatron_gui.lib.archives import HashingWriter, part_name, private_part, publish, sha256_of
from installatron_gui.lib.compression import kind_of_file

from . import locations
from .archive import (
    archive_name,
    compression,
    dump_tables_of,
    user_dir,
    verify_archive,
    workdir,
    write_archive,
)
from .copies import LocationPlan, check_location, new_install
from .errors import BackupError, as_backup_error
from .models import Backup, parse_expiry

# importbackup reads the archive through the website's transport in one piece.
MAX_IMPORT = int(getattr(settings, "BACKUP_MAX_IMPORT", 4 * 1024**3))
# Temporary archives older than this are leftovers of a killed worker.
STALE_PART_SECONDS = 6 * 3600


def _download_name(installer: str, domain: str, title: str, when, kind: str) -> str:
    """The reference's style: app_host_Title_date.tar.gz (.tar.zst for zstd), safe in
    a header."""
    host = re.sub(r"[^A-Za-z0-9]+", "-", domain or "site").strip("-")
    title = re.sub(r"[^A-Za-z0-9]+", "-", title or installer).strip("-")[:40]
    installer = re.sub(r"[^A-Za-z0-9_]+", "", installer)[:64] or "app"
    return archive_name(f"{installer}_{host}_{title}_{when.strftime('%Y-%m-%d_%H-%M-%S')}",
                        kind)


# --------------------------------------------------------------------------- backups


def create_backup(install: Install, *, report: Report, expiry=None, title: str = "",
                  schedule: str = "") -> Backup:
    """Back up an install's files (its list-files only) and tables into one archive.

    The archive is written under a temporary name in the user's backup folder, flushed,
    fsynced and renamed; the Backup row is created only after that, so a backup that was
    cut short (a killed worker) is never listed. Leftover temporary files are swept by
    ``delete_expired_backups``.
    """
    folder = user_dir(install.account)
    backup_id = Backup._meta.get_field("id").default()
    kind = compression()
    final = folder / archive_name(backup_id, kind)
    tmp = part_name(final)
    state: dict = {}

    def write():
        with private_part(tmp) as fh, workdir(install.account) as work:
            meter = RateMeter(fh)  # the tasks API's rate
            writer = HashingWriter(meter)
            state["meta"] = write_archive(install, writer, work, report=report, kind=kind)
            meter.note()
        state["sha"], state["size"] = writer.sha.hexdigest(), writer.size

    def publish_archive():
        publish(tmp, final)

    def unpublish():
        final.unlink(missing_ok=True)

    def record():
        now = timezone.now()
        meta = state["meta"]
        state["backup"] = Backup.objects.create(
            id=backup_id, account=install.account, install=install, install_ref=install.id,
            website=install.website, file=f"{install.account.username}/{final.name}",
            installer=install.installer, version=install.version, language=install.language,
            time=install.time, path=install.path, url=install.url,
            url_domain=install.url_domain, db_host=install.db_host, db_type=install.db_type,
            db_name=install.db_name, db_user=install.db_user, db_pass=install.db_pass,
            db_prefix=install.db_prefix, title=title or install.title,
            list_files=meta["list-files"], list_tables=meta["list-tables"], backup_time=now,
            backup_filename=_download_name(install.installer, install.url_domain,
                                           title or install.title, now, kind),
            size=state["size"],
            checksum=state["sha"], expiry=expiry,
            members={**records.kept_by_backups(records.record(install)),
                     "backup-schedule": schedule})
        # Not a column: what the task tells the owner about this run (left-out links).
        state["backup"].left_out = list(meta["skipped"])

    try:
        run_steps([
            Step("archive", write, lambda: tmp.unlink(missing_ok=True),
                 message="Writing the backup", weight=9),
            Step("publish", publish_archive, unpublish, message="Saving the backup"),
            Step("record", record, message="Recording the backup"),
        ], report=report)
    except OSError as exc:
        raise BackupError(f"The backup could not be written: {os.strerror(exc.errno or 0)}.",
                          errcode="failed_backup", status=500) from None
    notify(install, "backup", backup=state["backup"].id)
    return state["backup"]


def import_backup(account: Account, path: str, *, website=None) -> Backup:
    """Import an archive from the user's webspace (``path`` relative to the website's
    path, read through the transport) as a backup. Verified like any archive.
    ``website``: which of the user's websites (the API's user path is the first one)."""
    if not isinstance(path, str) or not path.strip():
        raise BackupError("The path argument is required.", errcode="empty_argument_path",
                          field="path")
    websites = list(account.websites.all())
    if not websites:
        raise BackupError("This user has no website to import from.",
                          errcode="invalid_argument_path", field="path")
    folder = user_dir(account)
    backup_id = Backup._meta.get_field("id").default()
    tmp = part_name(folder / backup_id)
    website = website if website is not None and website in websites else websites[0]
    try:
        try:
            with private_part(tmp) as fh, open_website(website) as transport:
                if transport.size(path.strip()) > MAX_IMPORT:
                    raise BackupError("The archive is too large to import.",
                                      errcode="invalid_argument_path", field="path")
                transport.read_to(path.strip(), fh)  # streamed to disk, not into memory
        except TransportError as exc:
            raise BackupError(exc.message, errcode="invalid_argument_path", status=400,
                              field="path") from None
        info = verify_archive(tmp)
        tables = dump_tables_of(info)
        meta = info.meta["install"]
        files = sorted(info.tops)
        # Named after what it is (zstd or gzip; a plain tar is kept as it came).
        kind = kind_of_file(tmp)
        final = folder / archive_name(backup_id, kind)
        publish(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    source = Install.objects.filter(pk=str(meta.get("id", "")), account=account).first()
    now = timezone.now()

    def text(name: str, limit: int = 255) -> str:
        value = meta.get(name)
        return str(value)[:limit] if isinstance(value, str | int) else ""

    try:
        created = int(text("time") or "0")
        when = datetime.fromtimestamp(created, tz=dt_timezone.utc) if created else None
    except (ValueError, OverflowError, OSError):
        when = None
    installer = text("installer", 64) or "unknown"
    return Backup.objects.create(
        id=backup_id, account=account, install=source, install_ref=text("id", 32),
        website=source.website if source else None, file=f"{account.username}/{final.name}",
        installer=installer, version=text("version", 32), language=text("language", 16),
        time=when, path=str(info.meta.get("path") or "")[:1024], url=text("url", 2048),
        url_domain=text("url-domain"), db_host=text("db-host"), db_type=text("db-type", 16),
        db_name=text("db-name", 128), db_user=text("db-user", 128),
        db_prefix=text("db-prefix", 64), title=text("title"), list_files=files,
        list_tables=tables, backup_time=now, size=final.stat().st_size,
        backup_filename=_download_name(installer, text("url-domain"), text("title"), now,
                                       kind),
        checksum=sha256_of(final), imported=True,
        # An archive from elsewhere: only short texts, and not too many of them.
        members={**{k[:64]: v[:255] for k, v in list(records.kept_by_backups(meta).items())[:64]
                    if isinstance(v, str)}, "backup-schedule": ""})


def delete_backup(backup: Backup) -> None:
    """Remove the archive, its copy at the install's remote location, and the row."""
    uri = locations.uri_of(backup)
    if uri:
        locations.remove_remote_copy(backup, uri)
    try:
        backup.archive_path.unlink(missing_ok=True)
    except OSError as exc:
        raise BackupError(f"The backup archive could not be removed: "
                          f"{os.strerror(exc.errno or 0)}.", errcode="failed_backup",
                          status=500) from None
    backup.delete()


def edit_backup(backup: Backup, params: dict) -> Backup:
    """editbackup: ``expiry`` and ``title``."""
    fields = []
    if "expiry" in params:
        try:
            backup.expiry = parse_expiry(params["expiry"])
        except ValueError:
            raise BackupError("expiry must be 'never' or a number with h, d, w, m or y "
                              "(e.g. 7d).", errcode="invalid_argument_expiry",
                              field="expiry") from None
        fields.append("expiry")
    if "title" in params:
        title = str(params["title"] or "").strip()
        if len(title) > 255 or any(ord(c) < 32 for c in title):
            raise BackupError("The title must be at most 255 characters of text.",
                              errcode="invalid_argument_title", field="title")
        backup.title = title
        fields.append("title")
    if fields:
        backup.save(update_fields=fields)
    return backup


def delete_expired_backups(now=None) -> int:
    """Remove backups past their expiry, and temporary archives a killed worker left."""
    count = 0
    for backup in Backup.objects.expired(now):
        delete_backup(backup)
        count += 1
    base = Path(settings.BACKUP_DIR)
    cutoff = (now or timezone.now()).timestamp() - STALE_PART_SECONDS
    if base.is_dir():
        for path in base.glob("*/.*.part"):
            try:
                if path.lstat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass
    return count


# --------------------------------------------------------------------------- starting tasks


def parse_expiry_arg(value) -> str:
    """Validate an ``expiry`` argument; returns it normalized (the task parses it)."""
    try:
        parse_expiry(value)
    except ValueError:
        raise BackupError("expiry must be 'never' or a number with h, d, w, m or y "
                          "(e.g. 7d).", errcode="invalid_argument_expiry",
                          field="expiry") from None
    return "" if value is None else str(value).strip().lower()



def _hold(install: Install, task: Task) -> None:
    try:
        hold_install(install, task)
    except InstallError as exc:
        raise as_backup_error(exc) from None


@transaction.atomic
def start_backup(install: Install, *, expiry=None, location: str = "") -> Task:
    """Queue a backup of ``install``; refused with ``busy`` while a task holds it.
    ``location`` as tasks.create_backup takes it ("", "local" or a saved location id)."""
    from . import locations, tasks

    expiry = parse_expiry_arg(expiry)
    location = str(location or "")
    locations.chosen_uri(install, location)  # refuses an unknown location before queueing
    task = enqueue(tasks.create_backup, expiry, location, cmd="backup",
                   label="_tasks_backingup", install=install)
    _hold(install, task)
    return task


def start_delete_backup(backup: Backup) -> Task:
    """Queue the deletion of ``backup`` (the delete API's ``background``)."""
    from . import tasks

    return enqueue(tasks.delete_backup, backup.id, cmd="delete", label="_tasks_deleting",
                   account=backup.account, url=backup.url, title=backup.title)


def check_restore(backup: Backup, *, db_mode: str | None = None, dryrun: int = 0) -> Install:
    """The install a restore would replace; dryrun=2 also verifies the archive."""
    if db_mode not in (None, "", "manual"):
        raise BackupError("db must be 'manual' or left out.", errcode="invalid_argument_db",
                          field="db")
    install = (Install.objects.select_related("account", "website")
               .filter(pk=backup.install_ref or "", account=backup.account).first())
    if install is None:
        raise BackupError(f"The install of this backup ({backup.url}) no longer exists; "
                          "use restoreto to restore it to a location.",
                          errcode="invalid_argument_id", field="id")
    if install.busy:
        raise as_backup_error(busy_error(install))
    if dryrun == 2:
        verify_archive(backup.archive_path, backup.checksum)
    return install


@transaction.atomic
def start_restore(backup: Backup, *, db_mode: str | None = None) -> Task:
    from . import tasks

    install = check_restore(backup, db_mode=db_mode)
    task = enqueue(tasks.restore_backup, backup.id, db_mode or "", cmd="restore",
                   label="_tasks_restoring", install=install)
    _hold(install, task)
    return task


def check_restore_to(backup: Backup, params: dict, *, dryrun: int = 0) -> LocationPlan:
    plan = check_location(backup.account, backup.installer, params, backup.list_files,
                          default_prefix=backup.db_prefix, dryrun=dryrun)
    if dryrun == 2:
        verify_archive(backup.archive_path, backup.checksum)
    return plan


@transaction.atomic
def start_restore_to(backup: Backup, plan: LocationPlan) -> tuple[Install, Task]:
    from . import tasks

    source = {"installer": backup.installer, "version": backup.version,
              "language": backup.language, "title": backup.title}
    install, task = new_install(plan, source, tasks.restore_to, backup.id, cmd="restoreto",
                                label="_tasks_restoring")
    return install, task


def check_push(stage: Install) -> Install:
    """The live install a stage clone is pushed onto; refused with a clear errcode when
    ``stage`` is not a stage, its live install is gone, or either is busy."""
    if not stage.stage_of:
        raise BackupError("This install is not a stage; only a clone made with stage=1 can "
                          "be pushed to its live site.", errcode="invalid_argument_push",
                          field="push")
    live = (Install.objects.select_related("account", "website")
            .filter(pk=stage.stage_of, account=stage.account).first())
    if live is None or live.status != Install.Status.INSTALLED:
        raise BackupError("The live install of this stage no longer exists.",
                          errcode="invalid_argument_push", field="push")
    if stage.status != Install.Status.INSTALLED:
        raise BackupError("Only an installed stage can be pushed.",
                          errcode="invalid_argument_id", field="id")
    for install in (stage, live):
        if install.busy:
            raise as_backup_error(busy_error(install))
    return live


@transaction.atomic
def start_push(stage: Install) -> tuple[Install, Task]:
    """Queue the push of ``stage`` onto its live install; both are held by the task."""
    from . import tasks

    live = check_push(stage)
    task = enqueue(tasks.push_stage, stage.id, cmd="sync", label="_tasks_pushing",
                   install=live)
    _hold(live, task)
    _hold(stage, task)
    return live, task


def check_clone(install: Install, params: dict, *, dryrun: int = 0) -> LocationPlan:
    if install.status != Install.Status.INSTALLED:
        raise BackupError("Only an installed application can be cloned.",
                          errcode="invalid_argument_id", field="id")
    if install.busy:
        raise as_backup_error(busy_error(install))
    return check_location(install.account, install.installer, params, install.list_files,
                          default_prefix=install.db_prefix, dryrun=dryrun)


@transaction.atomic
def start_clone(source: Install, plan: LocationPlan, *,
                stage: bool = False) -> tuple[Install, Task]:
    """Queue a clone: the new Install row (held by the task) and the source held too.
    A ``stage`` clone remembers its source, to be pushed back onto it later."""
    from . import tasks

    meta = record(source)
    install, task = new_install(plan, meta, tasks.clone_install, source.id, cmd="clone",
                                label="_tasks_cloning")
    if stage:
        install.stage_of = source.id
        install.save(update_fields=["stage_of"])
    _hold(source, task)
    return install, task
