from installatron_gui.lib.errors import InstallatronError


class BackupError(InstallatronError):
    """A backup, restore or clone problem the caller can fix (a damaged or unsafe archive,
    a busy install, a database that refuses the dump). ``field`` names the parameter."""

    errcode = "failed"
