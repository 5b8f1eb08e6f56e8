"""The command-line API: ``echo '{...}' | installatron`` or ``installatron --cmd NAME --x y``.

Same commands and reply as the HTTP API. Running it on the server is the authentication
(as for Installatron's /usr/local/installatron/installatron): no key is needed, and a key
given is ignored (never checked, never logged).
"""

from __future__ import annotations

import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.http import HttpRequest

from apps.api import dispatch
from apps.api.replies import content_of, error_reply
from apps.api.request import ApiCall
from installatron_gui.lib.errors import InstallatronError
from installatron_gui.lib.phpform import FormError, parse_pairs

USAGE = """usage: installatron [--cmd NAME] [--name value ...] < request.json

Reads a JSON request object from standard input (if any) and/or --name value pairs
(PHP bracket names such as --websites[0][id] ws1 work too; a --flag without a value
is "1") and prints the JSON reply. The exit status is 0 when "result" is true.
"""


class CliError(InstallatronError):
    errcode = "invalid_argument_request"


def parse_argv(argv: list[str]) -> dict:
    """``--cmd install --url http://x --background`` -> {"cmd": ..., "url": ..., ...}."""
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("--") or token == "--":  # noqa: S105 (not a password)
            raise CliError(f"Expected --name, got '{token[:40]}'.")
        name, eq, value = token[2:].partition("=")
        if not name:
            raise CliError("An argument name is empty.")
        if not eq:
            if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                value = argv[i + 1]
                i += 1
            else:
                value = "1"
        pairs.append((name, value))
        i += 1
    try:
        return parse_pairs(pairs)
    except (FormError, ValueError) as exc:
        raise CliError(str(exc)) from None


def read_stdin(stream) -> dict:
    if stream is None or stream.isatty():
        return {}
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    text = stream.read(limit + 1) if limit else stream.read()
    if limit and len(text) > limit:
        raise CliError("The request is too large.", errcode="request_too_large", status=413)
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise CliError("The request is not valid JSON.", errcode="invalid_argument_json") from None
    if not isinstance(data, dict):
        raise CliError("The request must be a JSON object.", errcode="invalid_argument_json")
    return data


def run_cli(argv: list[str], stdin) -> tuple[int, dict]:
    """Run one CLI request; returns (exit status, reply)."""
    try:
        params = {**read_stdin(stdin), **parse_argv(argv)}
    except InstallatronError as exc:

        return 1, json.loads(error_reply(exc).content)
    # Being on the server is the authentication: a key in the request means nothing here.
    for name in ("key", "key2"):
        params.pop(name, None)
    version = params.get("api_version")
    call = ApiCall(method="POST", params=params,
                   version="2" if str(version or "").startswith("2") else "1")
    request = HttpRequest()
    request.method = "POST"
    response = dispatch.run_call(request, call, via="cli")
    reply = json.loads(content_of(response))
    return (0 if reply.get("result") else 1), reply


class Command(BaseCommand):
    help = USAGE

    def run_from_argv(self, argv):
        # Installatron's CLI takes free-form --name value pairs, which argparse cannot.
        rest = argv[2:]
        if rest in (["-h"], ["--help"]):
            sys.stdout.write(USAGE)
            return
        code, reply = run_cli(rest, sys.stdin)
        sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        if code:
            sys.exit(code)

    def add_arguments(self, parser):
        parser.add_argument("pairs", nargs="*", help="--name value pairs (see usage)")

    def handle(self, *args, pairs=(), **options):
        # call_command("installatron", "--", "--cmd", "users"): the same as the CLI.
        code, reply = run_cli(list(pairs), None)
        self.stdout.write(json.dumps(reply, ensure_ascii=False))
        return None
