"""Bytes a query read from object storage, from the fault proxy's statistics, and pushdown's saving.

The proxy counts the body bytes it sends to every reader. Two snapshots of its statistics taken
around a query give what that query read (``GET`` and range ``GET`` bodies: the data and the
footers; listings are left out). Projection pushdown reads only the needed Parquet column
chunks, filter pushdown skips row groups whose statistics rule the filter out: both show as
fewer bytes than a full scan of the same objects. A filter on Hive partition columns
(``year=2024/`` folders of the keys) skips whole objects: compared object by object with a full
scan (`PartitionPruning`), each object the filter rules out must be saved at least its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    by_key: Mapping[str, int] = field(default_factory=dict)
    """Body bytes per object key (every operation on the key: its GETs and range GETs)."""


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
    keys = {
        key: line["bytes"] - before.get("by_key", {}).get(key, {}).get("bytes", 0)
        for key, line in after.get("by_key", {}).items()
    }
    return BytesRead(
        label,
        after_bytes - before_bytes,
        after_requests - before_requests,
        {name: count for name, count in sorted(readers.items()) if count},
        {key: count for key, count in sorted(keys.items()) if count},
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


def partition_values(key: str) -> dict[str, str]:
    """The ``name=value`` folders of an object key, in order (``{'year': '2024', 'month': '01'}``)."""
    folders = key.split("/")[:-1]
    return dict(folder.split("=", 1) for folder in folders if "=" in folder and not folder.startswith("="))


def split_by_partition(
    sizes: Mapping[str, int], keep: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, int]]:
    """The objects (key -> size) whose partition folders hold every ``keep`` value, and the others.

    Raises ValueError when ``keep`` names a partition no key has, or selects all objects or none:
    such a comparison would prove nothing about pruning.
    """
    known = {name for key in sizes for name in partition_values(key)}
    if unknown := sorted(set(keep) - known):
        raise ValueError(
            f"no object has a partition {unknown[0]!r}; "
            f"the partitions are {', '.join(sorted(known)) or 'none'}"
        )
    kept: dict[str, int] = {}
    pruned: dict[str, int] = {}
    for key, size in sizes.items():
        values = partition_values(key)
        chosen = all(values.get(name) == str(value) for name, value in keep.items())
        (kept if chosen else pruned)[key] = size
    if not kept or not pruned:
        which = "every" if kept else "no"
        raise ValueError(
            f"partition values {dict(keep)} select {which} object; "
            "choose values that keep some objects and skip others"
        )
    return kept, pruned


@dataclass(frozen=True)
class PartitionPruning:
    """A query filtered on partition columns compared, object by object, with a full scan.

    ``pruned`` are the objects (key -> size, from the manifest) the filter rules out. A full scan
    reads every byte of each object at least once; an engine that prunes reads none of a pruned
    object's data (a schema read of the glob's first object costs both queries the same). So
    each pruned object must be read at least its size less with the filter, and the whole query
    at least their total less.
    """

    full: BytesRead
    filtered: BytesRead
    kept: Mapping[str, int]
    pruned: Mapping[str, int]

    def saved_on(self, key: str) -> int:
        """Bytes of object ``key`` the filtered query did not read against the full scan."""
        return self.full.by_key.get(key, 0) - self.filtered.by_key.get(key, 0)

    def problems(self) -> list[str]:
        """Why the filter did not skip the objects it rules out; [] if it did."""
        problems = [
            f"{self.filtered.label!r} read {self.filtered.by_key.get(key, 0):,} bytes of {key} "
            f"({size:,} bytes), which its filter rules out, against the full scan's "
            f"{self.full.by_key.get(key, 0):,}: the object was not skipped"
            for key, size in self.pruned.items()
            if self.saved_on(key) < size
        ]
        least = sum(self.pruned.values())
        if self.full.bytes - self.filtered.bytes < least:
            problems.append(
                f"{self.filtered.label!r} read {self.filtered.bytes:,} of the full scan's "
                f"{self.full.bytes:,} bytes: saved {self.full.bytes - self.filtered.bytes:,}, "
                f"expected at least the {least:,} bytes of the {len(self.pruned)} objects "
                "its filter rules out"
            )
        return problems
