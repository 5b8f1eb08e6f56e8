from installatron_gui.lib.errors import InstallatronError


class BackupError(InstallatronError):
    """A backup, restore or clone problem the caller can fix (a damaged or unsafe archive,
    a busy install, a database that refuses the dump). ``field`` names the parameter."""

    errcode = "failed"


def as_backup_error(exc: InstallatronError) -> BackupError:
    """Another app's refusal (an install check, a transport), told as a BackupError."""
    return BackupError(exc.message, errcode=exc.errcode, status=exc.status, field=exc.field)
