"""Backup locations in S3 or an S3-compatible store (``s3://KEY:SECRET@ENDPOINT/BUCKET/PREFIX``),
with boto3. Only what a backup location needs: write (a multipart upload, so an object
exists only once it is complete), size, exists, read_to, remove, rename. Never a website.

* Always HTTPS, the certificate verified against the system CAs or ``S3_CA_FILE``.
* ``ENDPOINT`` is ``s3.amazonaws.com``, ``s3.<region>.amazonaws.com`` or the host[:port] of
  a compatible store (path-style addressing there); the region is read from an AWS host
  name, else ``S3_REGION``.
* Errors carry the errcodes of the other transports and never the secret key.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from installatron_gui.lib import outbound

from .base import Transport, TransportError
from .local import split_rel
from .remote import (
    HOST,
    LOGIN,
    MISSING,
    PERMISSION,
    QUOTA,
    parse_remote,
    remote_error,
    setting,
    trusted,
)

AWS_HOST = re.compile(r"^s3[.-](?:(?P<region>[a-z0-9-]+)\.)?amazonaws\.com$")


class S3Transport(Transport):
    default_port = 443

    def __init__(self, root: str, *, uid: int | None = None, gid: int | None = None,
                 **options):
        super().__init__(root, uid=uid, gid=gid, **options)
        self.url = parse_remote(root, self.default_port)
        parts = [p for p in self.url.root.split("/") if p]
        if not parts:
            raise TransportError("An s3:// location needs a bucket: "
                                 "s3://KEY:SECRET@HOST/BUCKET.",
                                 errcode="invalid_argument_bkloc", status=400)
        self.bucket, self.prefix = parts[0], "/".join(parts[1:])
        self.timeout = float(options.get("timeout") or setting("REMOTE_TIMEOUT", 30))
        self._client = None

    # -- connection
    def connect(self) -> None:
        import boto3
        from botocore.config import Config

        if not trusted(self.options):
            # boto3 resolves the name again itself: the policy is checked here, before it.
            try:
                outbound.check_host(self.url.host, self.url.port)
            except outbound.OutboundError as exc:
                raise remote_error(exc.message, self.url, errcode=HOST) from None
        aws = AWS_HOST.match(self.url.host)
        region = (aws.group("region") if aws else None) or setting("S3_REGION", "us-east-1")
        port = f":{self.url.port}" if self.url.port != 443 else ""
        config = Config(connect_timeout=self.timeout, read_timeout=self.timeout,
                        retries={"max_attempts": 3, "mode": "standard"},
                        s3={"addressing_style": "virtual" if aws else "path"})
        self._client = boto3.session.Session().client(
            "s3", endpoint_url=f"https://{self.url.host}{port}", region_name=region,
            aws_access_key_id=self.url.user, aws_secret_access_key=self.url.password,
            verify=setting("S3_CA_FILE", "") or True, config=config)
        with self._io(""):
            self._client.head_bucket(Bucket=self.bucket)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _key(self, rel: str) -> str:
        parts = split_rel(rel)
        if not parts:
            raise TransportError("This operation needs a name inside the location.",
                                 errcode="invalid_argument_path", status=400)
        return "/".join([self.prefix, *parts] if self.prefix else parts)

    @contextmanager
    def _io(self, rel: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        where = f"{self.url.host}:{self.url.port}"
        try:
            yield
        except TransportError:
            raise
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch",
                        "AuthorizationHeaderMalformed"):
                raise remote_error(f"{where} rejected the access key '{self.url.user}'.", self.url,
                                   errcode=LOGIN) from None
            if code in ("NoSuchBucket",) or (status == 404 and not rel):
                raise TransportError(f"The bucket '{self.bucket}' does not exist.",
                                     errcode=MISSING, status=400) from None
            if code in ("NoSuchKey", "404") or status == 404:
                raise TransportError(f"'{rel}' does not exist.", errcode=MISSING,
                                     status=400) from None
            if code in ("AccessDenied", "403") or status == 403:
                raise remote_error(f"Permission denied on '{rel or self.bucket}'.", self.url,
                                   errcode=PERMISSION) from None
            if code in ("QuotaExceeded", "EntityTooLarge"):
                raise remote_error(f"The store refused '{rel}': over its quota or size limit.",
                                   self.url, errcode=QUOTA) from None
            raise remote_error(f"{where} answered {code or status}.", self.url,
                               errcode=HOST) from None
        except EndpointConnectionError:
            raise remote_error(f"Cannot connect to {where}.", self.url, errcode=HOST) from None
        except (BotoCoreError, OSError) as exc:
            detail = type(exc).__name__
            if "SSL" in detail or "certificate" in str(exc).lower():
                detail = "its TLS certificate could not be verified"
            raise remote_error(f"The connection to {where} failed ({detail}).", self.url,
                               errcode=HOST) from None

    @property
    def client(self):
        if self._client is None:
            raise TransportError("The transport is not connected.", errcode=HOST)
        return self._client

    # -- what a backup location uses
    def _head(self, rel: str) -> dict | None:
        from botocore.exceptions import ClientError

        with self._io(rel):
            try:
                return self.client.head_object(Bucket=self.bucket, Key=self._key(rel))
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return None
                raise

    def exists(self, rel: str) -> bool:
        return self._head(rel) is not None

    def size(self, rel: str) -> int:
        head = self._head(rel)
        if head is None:
            raise TransportError(f"'{rel}' does not exist.", errcode=MISSING, status=400)
        return int(head.get("ContentLength", 0))

    def write(self, rel: str, data: bytes | BinaryIO, *, mode: int = 0o644) -> None:
        """One upload (multipart for large files): the object appears only complete."""
        src = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
        with self._io(rel):
            self.client.upload_fileobj(src, self.bucket, self._key(rel))

    def read(self, rel: str) -> bytes:
        out = io.BytesIO()
        self.read_to(rel, out)
        return out.getvalue()

    def read_to(self, rel: str, out: BinaryIO) -> int:
        size = self.size(rel)
        with self._io(rel):
            self.client.download_fileobj(self.bucket, self._key(rel), out)
        return size

    def remove(self, rel: str) -> None:
        with self._io(rel):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(rel))  # missing: fine

    def rename(self, src: str, dst: str) -> None:
        with self._io(src):
            self.client.copy({"Bucket": self.bucket, "Key": self._key(src)}, self.bucket,
                             self._key(dst))
            self.client.delete_object(Bucket=self.bucket, Key=self._key(src))

    def is_dir(self, rel: str) -> bool:
        return not split_rel(rel)  # only the location itself

    def mkdir(self, rel: str, *, mode: int = 0o755) -> list[str]:
        return []  # keys need no folders
