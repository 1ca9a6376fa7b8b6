"""Starts and stops the embedded environment a suite runs against."""

from lakeproof.lab.lab import DEFAULT_READERS, Lab, LabSettings

__all__ = ["DEFAULT_READERS", "Lab", "LabSettings"]
