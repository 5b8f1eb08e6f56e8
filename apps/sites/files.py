"""A website's files: its transport, opened through the panel's path hooks."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

from apps.panels.base import PanelError
from apps.panels.services import secondary_path, website_path
from apps.transports.base import open_transport
from apps.transports.remote import WithSecondary, ssh_key_options
from installatron_gui.lib.errors import InstallError


@contextmanager
def open_website(website):
    """The website's transport, connected (``with open_website(w) as t``).

    The path comes through the panel's path hooks (section 4.1: recorded, released when
    idle); SSH host keys are checked against the website's ``_trust_host_key``. On a
    remote website without a shell, put_tree/get_tree go through the panel's secondary
    ssh:// path when it offers one (section 4.2), asked for on the first bulk call; else
    through the website's own PHP where a vhost reaches the folder (transports/web.py).
    """
    custom = website.custom or {}
    # vhosts and vhost_ip: ftp/ftps/sftp websites that PHP also serves move whole trees as
    # one archive through a one-time script at the website's URL (transports/web.py).
    # The panel's paths (API key holders) are exempt from the owners' outbound policy.
    options = {"trust_host_key": custom.get("_trust_host_key"), "website_id": website.pk,
               "vhosts": dict(website.vhosts or {}), "vhost_ip": website.vhost_ip or "",
               "trusted": True}
    entered = False
    try:
        with website_path(website) as path, ExitStack() as stack:
            transport = stack.enter_context(open_transport(
                path, uid=website.uid, gid=website.gid, **options, **ssh_key_options(path)))

            def opener():
                uri = stack.enter_context(secondary_path(website))
                return stack.enter_context(
                    open_transport(uri, **options, **ssh_key_options(uri))) if uri else None

            remote = "://" in path and not transport.has_shell
            entered = True
            yield WithSecondary(transport, opener if remote else None)
    except PanelError as exc:
        if entered:  # the panel failed inside the caller's work: not ours to reword
            raise
        raise InstallError(exc.message, errcode=exc.errcode or "failed_filesystem_permission",
                           status=500) from None
