"""An in-memory object store for storage tests."""

from __future__ import annotations

from lakeproof.refcluster.model import SplitStats
from lakeproof.refcluster.storage import RangeReader


class MemoryReader(RangeReader):
    """A RangeReader over in-memory objects that records every range it is asked for."""

    def __init__(self, objects: dict[str, bytes]):
        super().__init__(SplitStats(id=0))
        self.objects = objects
        self.reads: list[tuple[str, int, int]] = []

    def head(self, uri: str) -> int:
        return len(self.objects[uri])

    def read_range(self, uri: str, start: int, end: int) -> bytes:
        self.reads.append((uri, start, end))
        data = self.objects[uri][start:end]
        self.stats.requests += 1
        self.stats.bytes += len(data)
        return data
