"""lakeproof: acceptance-test kit for distributed query engines over external data in object storage."""

__version__ = "0.1.0"
