"""State of the panel hooks: which websites' paths were enabled on demand (section 4.1)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PathLease(models.Model):
    """A website whose path came from the panel's enable_path hook and has not been
    disabled yet. ``last_action`` is the session's last action on the website (the clock
    release_idle_paths reads); ``in_use`` counts operations holding the path right now."""

    website = models.OneToOneField(
        "accounts.Website", on_delete=models.CASCADE, related_name="path_lease"
    )
    enabled_at = models.DateTimeField(default=timezone.now)
    last_action = models.DateTimeField(default=timezone.now, db_index=True)
    in_use = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"path of website {self.website_id} since {self.enabled_at:%Y-%m-%d %H:%M}"
