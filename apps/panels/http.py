"""HTTP for panel backends that talk to a panel's web API (HestiaCP, ISPmanager).

Standard library only: urllib with an ``ssl`` context. TLS is verified unless a backend's
options say ``verify_tls: false``; ``ca_file`` trusts a private CA (a panel's self-signed
certificate) without turning verification off. Credentials travel in the POST body, never
in the URL, so they cannot end up in proxy or panel access logs, and every message that
leaves this module has them scrubbed.
"""

from __future__ import annotations

import logging
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from .base import PanelError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
# A panel answer bigger than this is not an answer we understand.
MAX_BODY = 8 * 1024 * 1024


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


def tls_context(*, verify_tls: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """A client context: system CAs (plus ``ca_file``), hostname checked, unless disabled."""
    if not verify_tls:
        # Deliberately opted out in the panel options; say so once per connection setup.
        log.warning("TLS verification of the panel is turned off (verify_tls=false)")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_file or None)


def scrub(text: str, secrets: list[str]) -> str:
    """Remove every secret (and its URL-encoded form) from ``text``."""
    from urllib.parse import quote, quote_plus

    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, "***")
    return text


def post_form(
    url: str,
    fields: dict[str, str],
    *,
    context: ssl.SSLContext,
    timeout: float,
    secrets: list[str],
    what: str,
) -> Reply:
    """POST ``fields`` form-encoded to ``url``. Any HTTP status comes back as a Reply (panels
    put their own error codes in 4xx bodies); network and TLS failures raise PanelError.

    ``what`` names the call for logs and messages ("v-add-database"); field values are never
    logged.
    """
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    data = urlencode(fields).encode()
    request = urllib.request.Request(  # noqa: S310 (the admin's panel URL, from settings)
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"},
    )
    handlers = [urllib.request.HTTPSHandler(context=context)]
    opener = urllib.request.build_opener(*handlers)
    log.info("panel call %s at %s", what, where)
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_BODY + 1)
            status = response.status
            headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        body = exc.read(MAX_BODY + 1) if exc.fp else b""
        status = exc.code
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            message = (
                f"The panel at {where} presented a certificate that could not be verified "
                f"({reason.verify_message}). Give its CA in the panel option ca_file."
            )
        elif isinstance(reason, (socket.timeout, TimeoutError)):
            message = f"The panel at {where} did not answer within {timeout:g} seconds."
        else:
            message = f"The panel at {where} could not be reached ({reason})."
        raise PanelError(scrub(message, secrets)) from None
    except (TimeoutError, socket.timeout):
        raise PanelError(
            f"The panel at {where} did not answer within {timeout:g} seconds."
        ) from None
    except (OSError, ssl.SSLError) as exc:
        raise PanelError(
            scrub(f"The connection to the panel at {where} failed ({exc}).", secrets)
        ) from None
    if len(body) > MAX_BODY:
        raise PanelError(f"The panel at {where} sent an answer too large to be one.")
    return Reply(status=status, headers=headers, body=body.decode("utf-8", "replace"))
