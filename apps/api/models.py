"""The audit log of API calls (``GET /logs``).

One row per authenticated call, written by the dispatcher: who, what, when, from where and
how it ended. Never the request body, the key or any other parameter value.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ApiLogQuerySet(models.QuerySet):
    def for_usernames(self, usernames) -> ApiLogQuerySet:
        return self.filter(user__in=list(usernames))


class ApiLog(models.Model):
    time = models.DateTimeField(default=timezone.now, db_index=True)
    cmd = models.CharField(max_length=32, db_index=True)
    # The call's ``user`` (validated account name) or "" when none was given.
    user = models.CharField(max_length=64, blank=True, default="", db_index=True)
    result = models.BooleanField(default=False)
    errcode = models.CharField(max_length=64, blank=True, default="")
    status = models.PositiveSmallIntegerField(default=200)
    # "1" or "2": the member names the reply used.
    version = models.CharField(max_length=3, blank=True, default="1")
    via = models.CharField(max_length=8, blank=True, default="http")
    address = models.GenericIPAddressField(null=True, blank=True)
    install = models.CharField(max_length=32, blank=True, default="")
    task = models.CharField(max_length=24, blank=True, default="")

    objects = ApiLogQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.cmd} {self.user or '-'} {self.errcode or 'ok'}"

    def as_api(self) -> dict:
        return {
            "id": self.id,
            "time": int(self.time.timestamp()),
            "cmd": self.cmd,
            "user": self.user,
            "result": self.result,
            "errcode": self.errcode or None,
            "status": self.status,
            "version": self.version,
            "via": self.via,
            "address": self.address,
            "install": self.install,
            "task": self.task,
        }
