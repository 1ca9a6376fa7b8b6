"""A Parquet footer cut down to some of its row groups, so a split's local copy lists only them.

A data node reads a Parquet split by copying the footer and the split's column chunks into a
local sparse file that DuckDB then reads, and DuckDB reads every row group a footer lists, so
the copy's footer must list only the split's. No library edits a Parquet footer in place
(pyarrow cannot drop row groups from a FileMetaData), so this walks the Thrift compact
encoding of FileMetaData: only ``num_rows`` (field 3) and ``row_groups`` (field 4) are
rewritten; every other byte is copied unchanged, fields unknown here included. Walking needs
only the compact protocol's rules for where a value ends, never the meaning of a field.

Column chunks keep their offsets, so the copy keeps the original's layout: chunks at their
original positions, the new footer where the old one began.
"""

from __future__ import annotations

from collections.abc import Sequence

PARQUET_MAGIC = b"PAR1"
FOOTER_TAIL = 8  # footer length (4 bytes, little-endian) + PARQUET_MAGIC

# Thrift compact protocol type ids.
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT, _UUID = range(14)
_FIXED_SIZES = {_BYTE: 1, _DOUBLE: 8, _UUID: 16}
_NUM_ROWS, _ROW_GROUPS = 3, 4  # FileMetaData field ids


class FooterError(ValueError):
    """The footer is not a Thrift compact FileMetaData this module can walk."""


class _Cursor:
    """Reads the compact protocol's building blocks from `data`, advancing `position`."""

    def __init__(self, data: bytes):
        self.data = data
        self.position = 0

    def byte(self) -> int:
        if self.position >= len(self.data):
            raise FooterError("footer ends in the middle of a value")
        value = self.data[self.position]
        self.position += 1
        return value

    def varint(self) -> int:
        value, shift = 0, 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def field(self, last_id: int) -> tuple[int, int]:
        """The next struct field header as (type, field id); type _STOP at the struct's end."""
        header = self.byte()
        kind, delta = header & 0x0F, header >> 4
        if kind == _STOP:
            return _STOP, 0
        return kind, last_id + delta if delta else _unzigzag(self.varint())

    def container(self) -> tuple[int, int]:
        """A list or set header as (element type, element count)."""
        header = self.byte()
        size = header >> 4
        return header & 0x0F, self.varint() if size == 15 else size

    def skip(self, kind: int, *, in_container: bool = False) -> None:
        """Moves past one value of type `kind` (a struct field's boolean has no bytes of its own)."""
        if kind in (_TRUE, _FALSE):
            self.position += 1 if in_container else 0
        elif kind in _FIXED_SIZES:
            self.position += _FIXED_SIZES[kind]
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _BINARY:
            length = self.varint()  # read before the addition: varint() moves position too
            self.position += length
        elif kind in (_LIST, _SET):
            element, count = self.container()
            for _ in range(count):
                self.skip(element, in_container=True)
        elif kind == _MAP:
            count = self.varint()
            kinds = self.byte() if count else 0
            for _ in range(count):
                self.skip(kinds >> 4, in_container=True)
                self.skip(kinds & 0x0F, in_container=True)
        elif kind == _STRUCT:
            last_id = 0
            while (field := self.field(last_id))[0] != _STOP:
                kind_of_field, last_id = field
                self.skip(kind_of_field)
        else:
            raise FooterError(f"unknown Thrift compact type {kind}")
        if self.position > len(self.data):
            raise FooterError("footer ends in the middle of a value")


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _list_header(element: int, count: int) -> bytes:
    return bytes([count << 4 | element]) if count < 15 else bytes([0xF0 | element]) + _varint(count)


def footer_with_row_groups(footer: bytes, keep: Sequence[int], rows: int) -> bytes:
    """`footer` (FileMetaData, its length, ``PAR1``) listing only row groups `keep` (indexes into
    the original list, in that order) and ``num_rows`` set to `rows`; FooterError if malformed."""
    if len(footer) < FOOTER_TAIL or footer[-4:] != PARQUET_MAGIC:
        raise FooterError("not a Parquet footer: no PAR1 at its end")
    metadata = footer[:-FOOTER_TAIL]
    cursor = _Cursor(metadata)
    out = bytearray()
    last_id = 0
    while True:
        start = cursor.position
        kind, field_id = cursor.field(last_id)
        if kind == _STOP:
            out.append(_STOP)
            break
        last_id = field_id
        header = metadata[start : cursor.position]
        if field_id == _ROW_GROUPS and kind == _LIST:
            element, count = cursor.container()
            bounds = []
            for _ in range(count):
                begin = cursor.position
                cursor.skip(element, in_container=True)
                bounds.append((begin, cursor.position))
            if any(not 0 <= index < count for index in keep):
                raise FooterError(f"row groups {list(keep)} asked of a footer listing {count}")
            out += header + _list_header(element, len(keep))
            out += b"".join(metadata[slice(*bounds[index])] for index in keep)
        elif field_id == _NUM_ROWS and kind == _I64:
            cursor.skip(kind)
            out += header + _varint(rows << 1)  # zigzag of a non-negative number
        else:
            cursor.skip(kind)
            out += metadata[start : cursor.position]
    if cursor.position != len(metadata):
        raise FooterError(f"{len(metadata) - cursor.position} bytes follow the footer's end")
    return bytes(out) + len(out).to_bytes(4, "little") + PARQUET_MAGIC
