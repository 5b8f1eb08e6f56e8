from installatron_gui.lib.errors import InstallatronError


class CatalogError(InstallatronError):
    """A problem with an application, a version or a package archive the caller named."""

    errcode = "invalid_argument_application"
