"""Seeded random streams, one per (dataset seed, column path, purpose).

Each stream is keyed by the column's *name* (not its position), so adding, removing or reordering
columns leaves every other column's values unchanged; and values, NULL positions and edge-value
positions use separate streams, so changing a column's null ratio does not reshuffle its values.
"""

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Streams:
    """The random streams of one column, or of one part of a nested column (``tags/item``)."""

    seed: int
    path: str

    def child(self, name: str) -> "Streams":
        """Streams for a nested part: a list's items or a struct's field."""
        return Streams(self.seed, f"{self.path}/{name}")

    def rng(self, purpose: str) -> np.random.Generator:
        """A fresh PCG64 generator for `purpose` (``values``, ``nulls``, ``edges``, ...)."""
        digest = hashlib.blake2b(f"{self.path}#{purpose}".encode(), digest_size=8).digest()
        entropy = [self.seed, int.from_bytes(digest, "little")]
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
