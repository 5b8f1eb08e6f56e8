from installatron_gui.lib.errors import InstallatronError


class InstallError(InstallatronError):
    """A problem with an install the caller can fix: a bad argument, a busy install,
    a database or folder that refuses us. ``field`` names the offending parameter."""

    errcode = "failed"
