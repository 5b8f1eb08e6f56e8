"""Remote backup locations (the reference's ``bkloc``: ftp://, ftps://, sftp://, ssh://).

A backup is always written locally first (services.create_backup). With a remote
location it is then uploaded under a temporary name and renamed at the end, so the
location holds a complete archive or none; a failed upload keeps the local copy and the
task says so. Restoring a backup whose local copy is gone downloads it to a temporary
file, checks its checksum, and only then puts it where the restore reads it.
"""

from __future__ import annotations

import logging
import os

import secrets
from pathlib import Path

from apps.transports.base import TransportError, open_transport
from apps.transports.remote import ssh_key_options

from .errors import BackupError
from .models import Backup

log = logging.getLogger(__name__)

REMOTE = "remote"


def _name(backup: Backup) -> str:
    return f"{backup.id}.tar.gz"


def upload_backup(backup: Backup, uri: str, *, trust: str | None = None) -> str:
    """Copy the backup's archive to ``uri``; returns a sentence for the task message.

    Never raises for a failed upload: the local copy stays and the sentence says so.
    """
    from apps.accounts.validation import mask_path

    tmp = f".{backup.id}.{secrets.token_hex(4)}.part"
    try:
        with open_transport(uri, trust_host_key=trust, **ssh_key_options(uri)) as t:
            try:
                t.write(tmp, backup.archive_path.read_bytes(), mode=0o600)
                if t.size(tmp) != backup.size:
                    raise TransportError("the uploaded size does not match")
                if t.exists(_name(backup)):
                    t.remove(_name(backup))
                t.rename(tmp, _name(backup))
            except BaseException:
                try:
                    t.remove(tmp)
                except TransportError:
                    log.warning("could not remove the partial upload %s", tmp)
                raise
    except (TransportError, OSError) as exc:
        detail = getattr(exc, "message", None) or type(exc).__name__
        log.warning("upload of backup %s to %s failed: %s", backup.id, mask_path(uri), detail)
        return (f" The copy to {mask_path(uri)} failed ({detail}); the backup is kept on "
                "this server.")
    Backup.objects.filter(pk=backup.pk).update(backup_location=REMOTE)
    backup.backup_location = REMOTE
    return f" A copy was stored at {mask_path(uri)}."


def fetch_backup(backup: Backup, uri: str, *, trust: str | None = None) -> Path:
    """Make sure the archive is on this server: download it from ``uri`` when the local
    copy is missing, verified against the recorded checksum before it is used."""
    from .services import file_sha256

    path = backup.archive_path
    if path.exists():
        return path
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        with open_transport(uri, trust_host_key=trust, **ssh_key_options(uri)) as t:
            data = t.read(_name(backup))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if file_sha256(tmp) != backup.checksum:
            raise BackupError("The backup downloaded from its remote location does not match "
                              "its checksum; nothing was changed.",
                              errcode="failed_backup_invalid", status=400)
        os.rename(tmp, path)
    except TransportError as exc:
        raise BackupError(f"The backup could not be downloaded from its remote location: "
                          f"{exc.message}", errcode="failed_backup", status=500) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def remove_remote_copy(backup: Backup, uri: str, *, trust: str | None = None) -> bool:
    """Best effort: delete the backup's copy at ``uri``; False (logged) if it could not."""
    from apps.accounts.validation import mask_path

    try:
        with open_transport(uri, trust_host_key=trust, **ssh_key_options(uri)) as t:
            t.remove(_name(backup))  # a missing copy is fine
    except TransportError as exc:
        log.warning("could not remove backup %s from %s: %s", backup.id, mask_path(uri),
                    exc.message)
        return False
    return True


def location_of(install) -> str:
    """The install's remote backup location URI, or "" for local."""
    uri = (install.bkloc or "").strip() if install is not None else ""
    return uri if "://" in uri else ""



