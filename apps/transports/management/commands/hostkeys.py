"""The SSH host keys we trust: list them, confirm a new one by its fingerprint, or forget
a host's keys (after the server was reinstalled)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.transports.base import TransportError
from apps.transports.hostkeys import confirm_host_key
from apps.transports.models import KnownHost


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    try:
        return (host if sep else value).lower(), int(port) if sep else 22
    except ValueError:
        raise CommandError(f"'{value}' is not HOST or HOST:PORT.") from None


class Command(BaseCommand):
    help = ("List trusted SSH host keys; 'trust HOST[:PORT] SHA256:...' records the key the "
            "host shows if it has that fingerprint; 'forget HOST[:PORT]' removes its keys.")

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["list", "trust", "forget"],
                            default="list")
        parser.add_argument("host", nargs="?")
        parser.add_argument("fingerprint", nargs="?")

    def handle(self, *args, action, host, fingerprint, **opts):
        if action == "list":
            for row in KnownHost.objects.order_by("host", "port", "key_type"):
                self.stdout.write(f"{row.host}:{row.port}\t{row.key_type}\t{row.fingerprint}")
            return
        if not host:
            raise CommandError(f"'{action}' needs HOST[:PORT].")
        name, port = _host_port(host)
        if action == "forget":
            count = KnownHost.objects.filter(host=name, port=port).delete()[0]
            self.stdout.write(f"{count} key(s) of {name}:{port} forgotten")
            return
        if not fingerprint:
            raise CommandError("'trust' needs the SHA256:... fingerprint you have checked.")
        try:
            seen = confirm_host_key(name, port, fingerprint)
        except TransportError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{name}:{port} {seen} is trusted")
