"""Answer-to-reset: build the card's ATR (spec §6) and read protocols and the card factor from one."""

from __future__ import annotations

from dataclasses import dataclass

from . import profile
from .errors import InvalidAtr


@dataclass(frozen=True)
class Atr:
    raw: bytes
    protocols: tuple[int, ...]
    historical: bytes

    @property
    def protocol(self) -> int:
        """The protocol a reader picks by default: the first one offered (T=0 when none is named)."""
        return self.protocols[0]

    @property
    def card_factor(self) -> bytes:
        """The key-diversification card factor: the last 8 historical bytes [field]."""
        if len(self.historical) < 8:
            raise InvalidAtr("the ATR has fewer than 8 historical bytes: no card factor")
        return self.historical[-8:]

    @classmethod
    def parse(cls, raw: bytes) -> "Atr":
        raw = bytes(raw)
        if len(raw) < 2 or raw[0] not in (0x3B, 0x3F):
            raise InvalidAtr(f"not an ATR: {raw.hex().upper() or 'empty'}")
        t0 = raw[1]
        k = t0 & 0x0F
        i = 2
        y = t0 >> 4
        protocols: list[int] = []
        while True:
            for bit in (0x1, 0x2, 0x4):
                if y & bit:
                    i += 1
            if not y & 0x8:
                break
            if i >= len(raw):
                raise InvalidAtr("ATR ends inside its interface bytes")
            td = raw[i]
            i += 1
            if (td & 0x0F) not in protocols and (td & 0x0F) != 15:
                protocols.append(td & 0x0F)
            y = td >> 4
        if i + k > len(raw):
            raise InvalidAtr(f"ATR announces {k} historical bytes but has {len(raw) - i}")
        historical = raw[i : i + k]
        rest = raw[i + k :]
        needs_tck = any(p != 0 for p in protocols)
        if needs_tck:
            if len(rest) != 1:
                raise InvalidAtr("ATR offering a protocol other than T=0 must end with TCK")
            check = 0
            for b in raw[1:]:
                check ^= b
            if check:
                raise InvalidAtr("ATR check byte TCK does not match")
        elif rest:
            raise InvalidAtr(f"{len(rest)} unexpected byte(s) after the historical bytes")
        return cls(raw, tuple(protocols) or (0,), historical)


def historical_bytes(region: str, serial: bytes) -> bytes:
    """13 historical bytes ending in the 8-byte card factor: 86, one byte, region BCD, serial tail."""
    if len(region) != 6 or not region.isdigit():
        raise InvalidAtr(f"region code must be 6 digits, got {region!r}")
    if len(serial) != 4:
        raise InvalidAtr("card serial must be 4 bytes")
    return (
        profile.ATR_HISTORICAL_PREFIX
        + bytes((profile.ATR_CARD_FACTOR_MARKER, profile.ATR_CARD_FACTOR_BYTE))
        + bytes.fromhex(region)
        + serial[-3:]
    )


def build_atr(region: str, serial: bytes, protocol: int = 0) -> bytes:
    """The emulated card's ATR: the field T=0 form `3B 6D 00 00 …`, or its T=1 variant."""
    hist = historical_bytes(region, serial)
    if protocol == 0:
        return bytes((0x3B, 0x60 | len(hist), 0x00, 0x00)) + hist
    if protocol != 1:
        raise InvalidAtr(f"unsupported protocol T={protocol}")
    body = bytes((0xE0 | len(hist), 0x00, 0x00)) + profile.ATR_T1_INTERFACE_BYTES + hist
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3B" + body + bytes((tck,))
