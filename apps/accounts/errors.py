from installatron_gui.lib.errors import InstallatronError


class AccountError(InstallatronError):
    """A problem with the user, reseller or websites a caller gave us."""

    errcode = "invalid_argument_user"
