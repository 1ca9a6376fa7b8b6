"""An S3 endpoint the user already runs (their MinIO, say), used by the lab instead of moto.

The lab starts nothing for it: ``start`` checks that the endpoint answers, that it takes the
credentials and that the bucket exists, each failure one line naming the endpoint or bucket and
the fix. The lab never creates or deletes a bucket here and writes only under its own run
prefix, which ``remove_run_data`` deletes at the lab's stop: nothing the lab did not write.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from lakeproof.errors import ComponentStartError, ConfigError
from lakeproof.objectstore.client import REGION, S3Endpoint, delete_prefix

ENV_ENDPOINT = "LAKEPROOF_S3_ENDPOINT"
ENV_BUCKET = "LAKEPROOF_S3_BUCKET"
ENV_REGION = "LAKEPROOF_S3_REGION"
ENV_ACCESS_KEY = "LAKEPROOF_S3_ACCESS_KEY"
ENV_SECRET_KEY = "LAKEPROOF_S3_SECRET_KEY"  # noqa: S105 - the name of a variable, not a secret
"""Environment variables that point the lab at an existing store; credentials come only from
here or from the caller, never from a command line (which ``ps`` shows to every user)."""

_REFUSED_CREDENTIALS = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "403"}
)
_NO_BUCKET = frozenset({"NoSuchBucket", "404"})
_PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ExistingStore:
    """Where the existing store is and how to sign in; the keys are left out of repr."""

    url: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = REGION

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
            raise ConfigError(
                f"object store endpoint {self.url!r} must be an http(s) URL of the S3 endpoint itself, "
                "e.g. http://127.0.0.1:9000 (no bucket or path)"
            )
        if not self.access_key or not self.secret_key:
            raise ConfigError(
                f"object store {self.url} needs an access key and a secret key: set {ENV_ACCESS_KEY} "
                f"and {ENV_SECRET_KEY} (or pass them to the lab)"
            )
        if not self.region:
            raise ConfigError(f"object store {self.url} needs a region, e.g. {REGION}")

    @property
    def endpoint(self) -> S3Endpoint:
        """The endpoint with its credentials, for clients and the fault proxy's upstream."""
        return S3Endpoint(self.url.rstrip("/"), self.access_key, self.secret_key, self.region)

    @classmethod
    def configured(
        cls,
        url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ExistingStore | None:
        """The store at ``url`` (else ``LAKEPROOF_S3_ENDPOINT``), or None when neither names one.

        What is not given comes from ``LAKEPROOF_S3_REGION``, ``LAKEPROOF_S3_ACCESS_KEY`` and
        ``LAKEPROOF_S3_SECRET_KEY`` (the region defaults to us-east-1).
        """
        env = os.environ if environ is None else environ
        url = url or env.get(ENV_ENDPOINT)
        if not url:
            return None
        return cls(
            url,
            access_key or env.get(ENV_ACCESS_KEY, ""),
            secret_key or env.get(ENV_SECRET_KEY, ""),
            region or env.get(ENV_REGION) or REGION,
        )


def configured_bucket(
    bucket: str | None, default: str = "lake", environ: Mapping[str, str] | None = None
) -> str:
    """``bucket`` if given, else ``LAKEPROOF_S3_BUCKET`` if set, else ``default``."""
    env = os.environ if environ is None else environ
    return bucket or env.get(ENV_BUCKET) or default


class ExistingObjectStore:
    """The lab's object store when it is the user's: checked at start, never started or stopped."""

    pid: int | None = None
    """No process of the lab's: the store is the user's."""

    def __init__(self, store: ExistingStore, bucket: str, timeout: float = _PROBE_TIMEOUT_S):
        self.store = store
        self.bucket = bucket
        self.timeout = timeout

    @property
    def endpoint(self) -> S3Endpoint:
        """The store's S3 endpoint."""
        return self.store.endpoint

    def start(self) -> S3Endpoint:
        """Check that the store answers, takes the credentials and holds the bucket; return its endpoint."""
        client = self.endpoint.client(max_attempts=1, timeout=self.timeout)
        where = f"object store {self.store.url}"
        try:
            client.head_bucket(Bucket=self.bucket)
        except EndpointConnectionError:
            raise ComponentStartError(
                f"{where} does not answer; start it, or fix the endpoint URL ({ENV_ENDPOINT})"
            ) from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _NO_BUCKET:
                raise ComponentStartError(
                    f"bucket {self.bucket!r} does not exist at {where}; create it there first, or name "
                    f"another bucket ({ENV_BUCKET}): the lab never creates or deletes buckets in a store "
                    "it did not start"
                ) from None
            if code in _REFUSED_CREDENTIALS:
                raise ComponentStartError(
                    f"{where} refused the credentials for bucket {self.bucket!r} ({code}); check the "
                    f"access key and secret key ({ENV_ACCESS_KEY}, {ENV_SECRET_KEY}) and that they may "
                    "list, read, write and delete in that bucket"
                ) from None
            raise ComponentStartError(f"{where} failed a check of bucket {self.bucket!r}: {exc}") from None
        except BotoCoreError as exc:
            raise ComponentStartError(
                f"{where} cannot be reached: {exc}; check the endpoint URL ({ENV_ENDPOINT})"
            ) from None
        return self.endpoint

    def remove_run_data(self, prefix: str) -> int:
        """Delete every object under ``prefix/`` (the lab's run prefix, nothing else); return how many."""
        return delete_prefix(self.endpoint.client(timeout=self.timeout), self.bucket, f"{prefix}/")

    def exited_reason(self) -> str | None:
        """Always None: the lab does not run this store, so it cannot see it exit."""
        return None

    def stop(self) -> None:
        """Nothing to stop: the store is the user's and keeps running."""
