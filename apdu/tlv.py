"""BER-TLV (FCI and other ISO 7816 structures) and SIMPLE-TLV (the card's records).

Both parse and build; each parser rejects a length that runs past the data instead of
returning a short value, so a truncated answer can never pass for a complete one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import MalformedTlv


@dataclass(frozen=True)
class Tlv:
    """One BER-TLV data object; `tag` keeps all its tag bytes as an integer (e.g. 0x9F38)."""

    tag: int
    value: bytes

    @property
    def tag_bytes(self) -> bytes:
        return self.tag.to_bytes(max(1, (self.tag.bit_length() + 7) // 8), "big")

    @property
    def constructed(self) -> bool:
        return bool(self.tag_bytes[0] & 0x20)

    def children(self) -> list["Tlv"]:
        if not self.constructed:
            raise MalformedTlv(f"tag {self.tag:X} is primitive and has no children")
        return parse_ber(self.value)

    def find(self, tag: int) -> "Tlv | None":
        return next((child for child in self.children() if child.tag == tag), None)

    def encode(self) -> bytes:
        return build_ber(self.tag, self.value)


def _ber_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise MalformedTlv(f"length {length} too large for BER-TLV")
    return bytes((0x80 | len(body),)) + body


def build_ber(tag: int, value: bytes) -> bytes:
    if tag <= 0:
        raise MalformedTlv(f"invalid tag {tag}")
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    return tag_bytes + _ber_length(len(value)) + bytes(value)


def parse_ber(data: bytes) -> list[Tlv]:
    """All BER-TLV objects in `data`, skipping the 00/FF padding ISO 7816-4 allows between them."""
    data = bytes(data)
    out: list[Tlv] = []
    i, n = 0, len(data)
    while i < n:
        if data[i] in (0x00, 0xFF):
            i += 1
            continue
        start = i
        i += 1
        if data[start] & 0x1F == 0x1F:
            while True:
                if i >= n:
                    raise MalformedTlv(f"tag at offset {start} runs past the end")
                i += 1
                if not data[i - 1] & 0x80:
                    break
        tag = int.from_bytes(data[start:i], "big")
        if i >= n:
            raise MalformedTlv(f"tag {tag:X} has no length byte")
        first = data[i]
        i += 1
        if first < 0x80:
            length = first
        elif first == 0x80 or first > 0x84:
            raise MalformedTlv(f"tag {tag:X}: unsupported length byte {first:02X}")
        else:
            count = first & 0x7F
            if i + count > n:
                raise MalformedTlv(f"tag {tag:X}: length field runs past the end")
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        if i + length > n:
            raise MalformedTlv(f"tag {tag:X}: value of {length} bytes runs past the end ({n - i} left)")
        out.append(Tlv(tag, data[i : i + length]))
        i += length
    return out


class SimpleTlvError(MalformedTlv):
    """Raised part-way through SIMPLE-TLV data; `parsed` holds the objects read before the fault."""

    def __init__(self, message: str, parsed: list[tuple[int, bytes]]) -> None:
        super().__init__(message)
        self.parsed = parsed


def build_simple(tag: int, value: bytes) -> bytes:
    """SIMPLE-TLV: one tag byte (01..FE), length in one byte or FF + two bytes."""
    if not 0x01 <= tag <= 0xFE:
        raise MalformedTlv(f"SIMPLE-TLV tag must be 01..FE, got {tag:#x}")
    n = len(value)
    if n < 0xFF:
        return bytes((tag, n)) + bytes(value)
    if n > 0xFFFF:
        raise MalformedTlv(f"SIMPLE-TLV value of {n} bytes is too long")
    return bytes((tag, 0xFF)) + n.to_bytes(2, "big") + bytes(value)


def parse_simple(data: bytes) -> list[tuple[int, bytes]]:
    """Every (tag, value) in order; a fault raises `SimpleTlvError` with what was read before it."""
    data = bytes(data)
    out: list[tuple[int, bytes]] = []
    i, n = 0, len(data)
    while i < n:
        tag = data[i]
        if tag in (0x00, 0xFF):
            raise SimpleTlvError(f"invalid SIMPLE-TLV tag {tag:02X} at offset {i}", out)
        if i + 1 >= n:
            raise SimpleTlvError(f"tag {tag:02X} at offset {i} has no length", out)
        length = data[i + 1]
        i += 2
        if length == 0xFF:
            if i + 2 > n:
                raise SimpleTlvError(f"tag {tag:02X}: three-byte length runs past the end", out)
            length = int.from_bytes(data[i : i + 2], "big")
            i += 2
        if i + length > n:
            raise SimpleTlvError(
                f"tag {tag:02X}: value of {length} bytes runs past the end ({n - i} left)", out
            )
        out.append((tag, data[i : i + length]))
        i += length
    return out
