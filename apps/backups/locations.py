"""Remote backup locations (the reference's ``bkloc``: ftp://, ftps://, sftp://, ssh://).

A user's locations are saved rows (BackupLocation): added and tested in the GUI, or
remembered when the API sets an install's ``bkloc`` URI ("associated with the user").
An install's ``bkloc`` is the URI its backups go to.

A backup is always written locally first (services.create_backup). With a remote
location it is then streamed up under a temporary name and renamed at the end, so the
location holds a complete archive or none; a failed upload keeps the local copy and the
task says so. The backup row records the URI it went to. Restoring a backup whose local
copy is gone streams it down to a temporary file, checks its checksum, and only then
puts it where the restore reads it.
"""

from __future__ import annotations

import io
import logging
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps.transports.base import TransportError, open_transport
from apps.transports.remote import require_own_password
from installatron_gui.lib.archives import part_name, private_part, publish, sha256_of
from installatron_gui.lib.compression import SUFFIXES

from .errors import BackupError
from .models import Backup, BackupLocation, OwnerSshKey

log = logging.getLogger(__name__)

REMOTE = "remote"


def owner_key(account) -> OwnerSshKey:
    """The owner's own SSH key pair (made on first use): the private half encrypted in
    our database, the public half for the owner to authorize at their server."""
    found = OwnerSshKey.objects.filter(account=account).first()
    if found is not None:
        return found
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    found, _ = OwnerSshKey.objects.get_or_create(
        account=account, defaults={"private_key": private,
                                   "public_key": f"{public} installatron-{account.username}"})
    return found


def _needs_key(uri: str) -> bool:
    try:
        parts = urlsplit(uri or "")
        return parts.scheme.lower() in ("sftp", "ssh") and not parts.password
    except ValueError:
        return False


def _open(uri: str, trust: str | None, account=None):
    """A location is an address its owner typed: through the outbound policy, logging in
    with its password or the owner's own key pair, never with this server's SSH key
    (that is for the panel's website paths only)."""
    options: dict = {"trust_host_key": trust}
    if _needs_key(uri):
        if account is None:
            require_own_password(uri, errcode="invalid_argument_bkloc")
        options["pkey"] = paramiko.Ed25519Key(file_obj=io.StringIO(owner_key(account).private_key))
    return open_transport(uri, **options)


def _owner(backup: Backup):
    return backup.account if backup.account_id else None


def _name(backup: Backup) -> str:
    """The copy's name there: the backup's id with its archive's suffix (.tar.gz for
    every backup made before zstd)."""
    return backup.id + next((s for s in SUFFIXES.values() if backup.file.endswith(s)), ".tar.gz")


def upload_backup(backup: Backup, uri: str, *, trust: str | None = None) -> str:
    """Copy the backup's archive to ``uri``; returns a sentence for the task message.

    Never raises for a failed upload: the local copy stays and the sentence says so.
    """
    from apps.accounts.validation import mask_path

    tmp = f".{backup.id}.{secrets.token_hex(4)}.part"
    try:
        with _open(uri, trust, _owner(backup)) as t, \
                open(backup.archive_path, "rb") as archive:
            try:
                t.write(tmp, archive, mode=0o600)  # streamed, never whole in memory
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
    backup.backup_location, backup.location_uri = REMOTE, uri
    backup.save(update_fields=["location_uri"])
    return f" A copy was stored at {mask_path(uri)}."


def fetch_backup(backup: Backup, uri: str, *, trust: str | None = None) -> Path:
    """Make sure the archive is on this server: download it from ``uri`` when the local
    copy is missing, verified against the recorded checksum before it is used."""
    path = backup.archive_path
    if path.exists():
        return path
    tmp = part_name(path)
    try:
        with private_part(tmp) as fh, _open(uri, trust, _owner(backup)) as t:
            t.read_to(_name(backup), fh)
        if sha256_of(tmp) != backup.checksum:
            raise BackupError("The backup downloaded from its remote location does not match "
                              "its checksum; nothing was changed.",
                              errcode="failed_backup_invalid", status=400)
        publish(tmp, path)
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
        with _open(uri, trust, _owner(backup)) as t:
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


def uri_of(backup: Backup) -> str:
    """Where the backup's remote copy is: the URI recorded when it was uploaded (older
    rows: the install's current location)."""
    if backup.backup_location != REMOTE:
        return ""
    if backup.location_uri:
        return backup.location_uri
    from apps.installs.models import Install

    return location_of(Install.objects.filter(pk=backup.install_ref or "").first())


def chosen_uri(install, location: str) -> str:
    """The URI a backup of ``install`` goes to: its own bkloc (""), none ("local"), or
    the owner's saved location with that id; any other id is refused."""
    if not location:
        return location_of(install)
    if location == "local":
        return ""
    found = BackupLocation.objects.filter(pk=location if str(location).isdigit() else None,
                                          account_id=install.account_id, pending=False).first()
    if found is None:
        raise BackupError("There is no such backup location.", errcode="invalid_argument_bkloc",
                          status=400)
    return found.uri


# -- saved locations

def _default_name(uri: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path or '/'}"[:80]


def find(account, uri: str) -> BackupLocation | None:
    """The user's saved location with exactly this URI, if any."""
    # An encrypted column: compared here, not in SQL.
    return next((loc for loc in account.backup_locations.all() if loc.uri == uri), None)


def remember(account, uri: str) -> BackupLocation | None:
    """The user's saved location with this URI, saved now if it is new (API bkloc)."""
    uri = (uri or "").strip()
    if account is None or "://" not in uri:
        return None
    found = find(account, uri)
    if found is not None:
        return found
    names = set(account.backup_locations.values_list("name", flat=True))
    base = name = _default_name(uri)
    n = 2
    while name in names:
        name, n = f"{base[:74]} ({n})", n + 1
    return BackupLocation.objects.create(account=account, name=name, uri=uri)


PROBE = ".itron-probe"


def check_location(uri: str, *, trust: str | None = None, account=None) -> None:
    """Connect, write a small file and remove it: raises TransportError (no secrets in
    its message) when backups could not be stored there. ``account``: the owner, whose
    key pair an sftp:// or ssh:// address without a password logs in with."""
    name = f"{PROBE}-{secrets.token_hex(4)}"
    with _open(uri, trust, account) as t:
        t.write(name, b"installatron backup location check\n", mode=0o600)
        try:
            if t.size(name) <= 0:
                raise TransportError("A test file could not be written there.")
        finally:
            t.remove(name)


def installs_using(location: BackupLocation) -> list:
    from apps.installs.models import Install

    return [i for i in Install.objects.filter(account=location.account).exclude(bkloc="")
            if i.bkloc == location.uri]


def forget(location: BackupLocation) -> int:
    """Delete a saved location: its installs back up to this server from now on.
    Copies already stored there stay, and their backups can still be restored."""
    from apps.installs.models import Install

    using = installs_using(location)
    Install.objects.filter(pk__in=[i.pk for i in using]).update(bkloc="")
    location.delete()
    return len(using)
