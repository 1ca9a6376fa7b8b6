"""Query pragmas: per-query settings in the request body, validated into one readable error.

``external_distribution`` is deliberately a free string: an unknown value is not an error but a
warning and a fall back to adaptive, as ES|QL does; the strategies module decides that.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lakeproof.errors import ConfigError
from lakeproof.refcluster.model import DEFAULT_STRATEGY, RetryPolicy
from lakeproof.refcluster.splits import SplitOptions

MIB = 1024 * 1024
MIN_SPLIT_SIZE = 1024
"""The smallest ``target_split_size``, ``parquet_target_size`` and ``coalesce_target_size``.

A split of a few bytes costs a range request per record (a 300 KB file in 1-byte splits made
15,000 requests) and can never be faster than a larger one, so sizes below a kilobyte are a
mistake, not a setting.
"""


class Pragma(BaseModel):
    """Everything a query may set; defaults are the engine's global settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    external_distribution: str = DEFAULT_STRATEGY
    allow_partial_results: bool = False
    query_timeout_s: float = Field(60.0, gt=0, le=3600)
    max_attempts: int = Field(4, ge=1, le=20)
    initial_backoff_s: float = Field(0.2, ge=0, le=60)
    backoff_multiplier: float = Field(2.0, ge=1, le=10)
    max_backoff_s: float = Field(5.0, ge=0, le=300)
    read_timeout_s: float = Field(10.0, gt=0, le=600)
    target_split_size: int = Field(64 * MIB, ge=MIN_SPLIT_SIZE)
    parquet_target_size: int = Field(32 * MIB, ge=MIN_SPLIT_SIZE)
    split_csv: bool = False
    coalesce: bool = True
    coalesce_threshold: int = Field(32, ge=1)
    coalesce_target_size: int = Field(128 * MIB, ge=MIN_SPLIT_SIZE)
    round_robin_offset: int = Field(0, ge=0)

    @property
    def split_options(self) -> SplitOptions:
        """The split planning and coalescing settings these pragmas describe."""
        return SplitOptions(
            target_split_size=self.target_split_size,
            parquet_target_size=self.parquet_target_size,
            split_csv=self.split_csv,
            coalesce_threshold=self.coalesce_threshold,
            coalesce_target_size=self.coalesce_target_size,
            coalesce=self.coalesce,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy these settings describe."""
        return RetryPolicy(
            max_attempts=self.max_attempts,
            initial_backoff_s=self.initial_backoff_s,
            multiplier=self.backoff_multiplier,
            max_backoff_s=self.max_backoff_s,
            read_timeout_s=self.read_timeout_s,
        )


def parse_pragma(body: Any, defaults: Pragma | None = None) -> Pragma:
    """Validate a request's ``pragma`` object over ``defaults``; ConfigError with one line if bad."""
    if body is None:
        return defaults or Pragma()
    if not isinstance(body, dict):
        raise ConfigError(f"pragma must be a JSON object, got {type(body).__name__}")
    base = (defaults or Pragma()).model_dump()
    try:
        return Pragma.model_validate({**base, **body})
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "pragma"
        if problem["type"] == "extra_forbidden":
            known = ", ".join(Pragma.model_fields)
            raise ConfigError(f"unknown pragma [{field}]; known pragmas: {known}") from None
        raise ConfigError(
            f"invalid pragma [{field}] = {problem.get('input')!r}: {problem['msg'].lower()}"
        ) from None
