"""Access and request logs without secrets.

Panels may send the master API key as ``key=`` in a query string, and sign-in links carry
one-time ``s=`` tokens; a remote backup location or migration source is a URI with a
password in it. gunicorn's access log (``--logger-class``, scripts/run.sh) and Django's
console log (``RedactQueryFilter`` in settings.LOGGING) write such query strings with
the values of secret parameters replaced by ``***``; the rest of the line is unchanged.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

MASK = "***"
SECRET_NAMES = frozenset({"key", "key2", "s", "sid", "passwd", "password", "pass", "db_pass",
                          "db_password", "secret", "token", "csrfmiddlewaretoken",
                          "source_ftu", "source_ftu_key", "bkloc", "websites", "path"})
SECRET_SUFFIXES = ("_pass", "_passwd", "_password", "_secret", "_token", "_key")
# scheme://user:password@ (a password inside any parameter's value)
CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.I)
# a URI's query in free text: from '?' up to white space or a quote
QUERY_IN_TEXT = re.compile(r"\?([^\s\"']+)")
SECRET_HEADERS = ("authorization", "cookie", "x-api-key", "proxy-authorization")


def _is_secret(raw_name: str, raw_value: str) -> bool:
    name = unquote_plus(raw_name).strip().lower()
    if name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES):
        return True
    return bool(CREDENTIALS.search(unquote_plus(raw_value)))


def redact_query(query: str) -> str:
    """``a=1&key=abc`` -> ``a=1&key=***``: secret values masked, order and names kept."""
    if not query:
        return query
    parts = []
    for part in re.split(r"([&;])", query):
        name, eq, value = part.partition("=")
        if part in ("&", ";") or not (eq or name):
            parts.append(part)
        elif _is_secret(name, value):
            parts.append(f"{name}={MASK}")
        else:
            parts.append(part)
    return "".join(parts)


def redact_uri(uri: str) -> str:
    """A request target or a full URL with its query string redacted."""
    if not uri or "?" not in uri:
        return uri
    head, _, query = uri.partition("?")
    query, hash_, fragment = query.partition("#")
    return f"{head}?{redact_query(query)}{hash_}{fragment}"


def redact_text(text: str) -> str:
    """Every query string inside a log message redacted."""
    if "?" not in text:
        return text
    return QUERY_IN_TEXT.sub(lambda m: "?" + redact_query(m.group(1)), text)


class AccessLogger(Logger):
    """gunicorn's logger, whose access-log atoms carry no secrets (any format)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = "%s %s %s" % (environ["REQUEST_METHOD"],
                                   redact_uri(environ.get("RAW_URI", "")),
                                   environ["SERVER_PROTOCOL"])
        atoms["q"] = redact_query(atoms.get("q") or "")
        atoms["f"] = redact_uri(atoms.get("f") or "-")
        for name in ("{raw_uri}e", "{http_referer}e", "{referer}i"):
            if name in atoms:
                atoms[name] = redact_uri(atoms[name])
        if "{query_string}e" in atoms:
            atoms["{query_string}e"] = redact_query(atoms["{query_string}e"])
        for header in SECRET_HEADERS:
            for name in (f"{{{header}}}i", f"{{http_{header.replace('-', '_')}}}e"):
                if name in atoms:
                    atoms[name] = MASK
        return atoms


class RedactQueryFilter(logging.Filter):
    """Masks secret query parameters in any record's message (Django's request lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
