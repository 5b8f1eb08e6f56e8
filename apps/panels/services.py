"""Operations around the panel class: path hooks (sections 4.1/4.2).

The install engine calls, around its file work::

    with website_path(website) as path:          # the header's path, or enable_path's
        with secondary_path(website) as ssh_uri:  # None when the panel offers none
            ...

``website`` is an ``apps.accounts.models.Website``. Both raise PanelError when the panel
cannot give what is needed. Paths from enable_path are recorded (PathLease) and given
back with disable_path by the periodic ``release_idle_paths`` once the website has been
idle for ``settings.PATH_IDLE_RELEASE`` seconds (default 1800).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .base import BasePanel, PanelError, get_panel
from .models import PathLease

log = logging.getLogger(__name__)

# The reference promises disablePathByWebsite between 30 minutes and 4 hours after a
# session's last action. An operation still holding the path after 4 hours is taken to
# be dead (a killed worker), so its lease is released too.
PATH_IDLE_CEILING = timedelta(hours=4)


def path_idle_release() -> timedelta:
    """settings.PATH_IDLE_RELEASE (seconds, default 1800), kept within 30 min .. 4 h."""
    seconds = int(getattr(settings, "PATH_IDLE_RELEASE", 1800))
    return min(max(timedelta(seconds=seconds), timedelta(minutes=30)), PATH_IDLE_CEILING)


@contextmanager
def website_path(website, *, panel: BasePanel | None = None) -> Iterator[str]:
    """Yield the path URI to reach ``website``'s files.

    The request header's path when it gave one; otherwise the panel's
    ``enable_path(website.as_session())``, recorded so that the path is disabled again
    after the idle time. While the block runs the path is never released.
    """
    if website.path:
        yield website.path
        return
    panel = panel or get_panel()
    now = timezone.now()
    with transaction.atomic():
        # The row lock orders us against release_idle_paths: it either finishes
        # disabling first, or sees in_use > 0 and leaves the path alone.
        lease, created = PathLease.objects.select_for_update().get_or_create(
            website=website, defaults={"enabled_at": now, "last_action": now, "in_use": 1}
        )
        if not created:
            PathLease.objects.filter(pk=lease.pk).update(in_use=F("in_use") + 1, last_action=now)
    try:
        uri = panel.enable_path(website.as_session())
        if not uri:
            raise PanelError(
                "The website has no path and the panel did not provide one.",
                errcode="invalid_argument_websites",
            )
        yield uri
    finally:
        PathLease.objects.filter(website=website, in_use__gt=0).update(
            in_use=F("in_use") - 1, last_action=timezone.now()
        )


def record_path_action(website) -> None:
    """The session acted on ``website``: restart its idle clock."""
    PathLease.objects.filter(website=website).update(last_action=timezone.now())


def record_session_action(account) -> None:
    """A GUI request of ``account``: the idle clock of its enabled paths starts again
    (section 4.1: a path is released only after the session's last action)."""
    PathLease.objects.filter(website__account=account).update(last_action=timezone.now())


@contextmanager
def secondary_path(website, *, panel: BasePanel | None = None) -> Iterator[str | None]:
    """Yield the panel's secondary (ssh://) URI for bulk file work, or None.

    ``disable_secondary_path`` is called as soon as the block ends, success or not. A
    failure to disable is logged, not raised: the file work itself is done.
    """
    panel = panel or get_panel()
    session = website.as_session()
    uri = panel.enable_secondary_path(session)
    try:
        yield uri or None
    finally:
        if uri:
            try:
                panel.disable_secondary_path(session)
            except PanelError as exc:
                log.warning("disable_secondary_path failed for website %s: %s",
                            website.pk, exc.message)


def release_idle_paths(*, panel: BasePanel | None = None, now=None) -> int:
    """disable_path for every website idle longer than PATH_IDLE_RELEASE; returns how
    many were released. A panel that fails keeps its lease, to be retried next run."""
    now = now or timezone.now()
    idle = Q(last_action__lte=now - path_idle_release()) & (
        Q(in_use=0) | Q(last_action__lte=now - PATH_IDLE_CEILING)
    )
    released = 0
    for pk in PathLease.objects.filter(idle).values_list("pk", flat=True):
        panel = panel or get_panel()
        with transaction.atomic():
            lease = (
                PathLease.objects.select_for_update().filter(idle, pk=pk)
                .select_related("website__account").first()
            )
            if lease is None:  # used again meanwhile
                continue
            try:
                panel.disable_path(lease.website.as_session())
            except PanelError as exc:
                log.warning("disable_path failed for website %s: %s", lease.website_id,
                            exc.message)
                continue
            lease.delete()
            released += 1
    return released

