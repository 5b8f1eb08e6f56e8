"""SSH host keys we have seen and trust (the known_hosts of every ssh:// and sftp:// website)."""

from __future__ import annotations

from django.db import models


class KnownHost(models.Model):
    """One trusted host key per host, port and key type.

    A row is written on first use (only when trust on first use is allowed, or the
    website pins this exact fingerprint). A different key for the same host, port and
    type is refused until an administrator deletes the row.
    """

    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=22)
    key_type = models.CharField(max_length=64)
    key_base64 = models.TextField()
    fingerprint = models.CharField("SHA256 fingerprint", max_length=64)
    first_seen = models.DateTimeField(auto_now_add=True)
    website = models.ForeignKey("accounts.Website", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                help_text="The website whose connection first met this key.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "port", "key_type"],
                                    name="knownhost_unique_key_type"),
        ]

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port} {self.key_type} {self.fingerprint}"
