"""Bytes a query read from object storage, from the fault proxy's statistics, and pushdown's saving.

The proxy counts the body bytes it sends to every reader. Two snapshots of its statistics taken
around a query give what that query read (``GET`` and range ``GET`` bodies: the data and the
footers; listings are left out). Projection pushdown reads only the needed Parquet column
chunks, filter pushdown skips row groups whose statistics rule the filter out: both show as
fewer bytes than a full scan of the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DATA_OPERATIONS = ("GET", "RANGE_GET")
"""Proxy operations whose bodies are object data (HEAD and LIST bodies are not)."""


@dataclass(frozen=True)
class BytesRead:
    """What one query read: data bytes and requests in total and per reader."""

    label: str
    bytes: int
    requests: int
    by_reader: Mapping[str, int]


def _data_line(stats: Mapping[str, Any]) -> tuple[int, int]:
    lines = [stats["by_operation"].get(operation, {}) for operation in DATA_OPERATIONS]
    return sum(line.get("bytes", 0) for line in lines), sum(line.get("requests", 0) for line in lines)


def bytes_read(label: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> BytesRead:
    """The data bytes read between two proxy statistics snapshots (``GET /stats``).

    Per reader the count is of every operation (the proxy breaks readers down by all traffic);
    listings are a few hundred bytes, so per-reader figures are close to data bytes.
    """
    after_bytes, after_requests = _data_line(after)
    before_bytes, before_requests = _data_line(before)
    readers = {
        name: line["bytes"] - before["by_listener"].get(name, {}).get("bytes", 0)
        for name, line in after["by_listener"].items()
    }
    return BytesRead(
        label,
        after_bytes - before_bytes,
        after_requests - before_requests,
        {name: count for name, count in sorted(readers.items()) if count},
    )


@dataclass(frozen=True)
class Saving:
    """A pushed-down read compared with a full scan."""

    full: BytesRead
    pushed: BytesRead

    @property
    def saved_bytes(self) -> int:
        """Bytes the pushed-down query did not read."""
        return self.full.bytes - self.pushed.bytes

    @property
    def saved_share(self) -> float:
        """The share of the full scan's bytes saved (0.75 = 75 % fewer bytes)."""
        return self.saved_bytes / self.full.bytes if self.full.bytes else 0.0

    def problems(self, at_least: float) -> list[str]:
        """Why this saving is not at least ``at_least`` of the full scan; [] if it is."""
        if self.full.bytes <= 0:
            return [f"the full scan {self.full.label!r} read no bytes, so there is nothing to compare with"]
        if self.pushed.bytes >= self.full.bytes:
            return [
                f"{self.pushed.label!r} read {self.pushed.bytes:,} bytes, not fewer than the full scan's "
                f"{self.full.bytes:,}: nothing was pushed down"
            ]
        if self.saved_share < at_least:
            return [
                f"{self.pushed.label!r} read {self.pushed.bytes:,} of the full scan's "
                f"{self.full.bytes:,} bytes: "
                f"{self.saved_share:.0%} fewer, expected at least {at_least:.0%} fewer"
            ]
        return []
