"""Command APDUs (ISO 7816-4 cases 1-4, short and extended): strict encode and decode.

A command that does not follow the rules is refused with `MalformedCommand` rather than
guessed at, because a real card would answer it with an error (or worse, act on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import MalformedCommand

SHORT_MAX_DATA = 255
SHORT_MAX_LE = 256
EXTENDED_MAX_DATA = 65535
EXTENDED_MAX_LE = 65536


def _byte(name: str, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise MalformedCommand(f"{name} must be one byte (0..255), got {value!r}")


@dataclass(frozen=True)
class Command:
    """One command APDU.

    `le` is Ne, the number of response bytes expected: None when the command expects
    none (cases 1 and 3), 1..256 for a short Le (256 is written 00), up to 65536 extended.
    `sensitive` marks a PIN-bearing command: traces and recordings must not show its data.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes | bytearray = b""
    le: int | None = None
    extended: bool = False
    sensitive: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            _byte(name, getattr(self, name))
        if not isinstance(self.data, (bytes, bytearray)):
            raise MalformedCommand(f"data must be bytes, got {type(self.data).__name__}")
        if len(self.data) > EXTENDED_MAX_DATA:
            raise MalformedCommand(f"data of {len(self.data)} bytes exceeds {EXTENDED_MAX_DATA}")
        if self.le is not None and not 1 <= self.le <= EXTENDED_MAX_LE:
            raise MalformedCommand(f"Le must be 1..{EXTENDED_MAX_LE} or absent, got {self.le}")
        if not self.data and self.le is None:
            object.__setattr__(self, "extended", False)  # case 1 has no length field to extend
        elif not self.extended and (
            len(self.data) > SHORT_MAX_DATA or (self.le is not None and self.le > SHORT_MAX_LE)
        ):
            object.__setattr__(self, "extended", True)

    @property
    def case(self) -> int:
        """ISO 7816-4 case number 1..4."""
        if self.data:
            return 4 if self.le is not None else 3
        return 2 if self.le is not None else 1

    @property
    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))

    def with_le(self, le: int | None) -> "Command":
        """The same command with another Le (used for 6Cxx re-issue)."""
        return Command(self.cla, self.ins, self.p1, self.p2, self.data, le, self.extended, self.sensitive)

    def encode(self) -> bytes:
        out = bytearray(self.header)
        lc = len(self.data)
        if self.extended:
            if lc:
                out += b"\x00" + lc.to_bytes(2, "big") + self.data
            if self.le is not None:
                le = 0 if self.le == EXTENDED_MAX_LE else self.le
                out += (b"" if lc else b"\x00") + le.to_bytes(2, "big")
        else:
            if lc:
                out.append(lc)
                out += self.data
            if self.le is not None:
                out.append(0 if self.le == SHORT_MAX_LE else self.le)
        return bytes(out)

    def __bytes__(self) -> bytes:
        return self.encode()

    def __repr__(self) -> str:
        data = "<redacted>" if self.sensitive else bytes(self.data).hex().upper()
        return (
            f"Command(cla={self.cla:02X}, ins={self.ins:02X}, p1={self.p1:02X}, p2={self.p2:02X}, "
            f"data={data}, le={self.le})"
        )

    @classmethod
    def decode(cls, raw: bytes | bytearray) -> "Command":
        """Parse command bytes; every length inconsistency raises `MalformedCommand`."""
        raw = bytes(raw)
        n = len(raw)
        if n < 4:
            raise MalformedCommand(f"a command APDU has at least 4 bytes, got {n}")
        cla, ins, p1, p2 = raw[:4]
        if n == 4:
            return cls(cla, ins, p1, p2)
        if n == 5:
            return cls(cla, ins, p1, p2, le=raw[4] or SHORT_MAX_LE)
        b4 = raw[4]
        if b4:
            lc = b4
            if n == 5 + lc:
                return cls(cla, ins, p1, p2, raw[5:])
            if n == 6 + lc:
                return cls(cla, ins, p1, p2, raw[5:-1], raw[-1] or SHORT_MAX_LE)
            raise MalformedCommand(f"Lc={lc} does not match the {n - 5} bytes after it")
        # Extended length: 00 then two length bytes.
        if n == 7:
            return cls(cla, ins, p1, p2, le=int.from_bytes(raw[5:7], "big") or EXTENDED_MAX_LE, extended=True)
        if n < 7:
            raise MalformedCommand("extended length needs two bytes after the 00 marker")
        lc = int.from_bytes(raw[5:7], "big")
        if lc == 0:
            raise MalformedCommand("extended Lc of 0 followed by more bytes")
        if n == 7 + lc:
            return cls(cla, ins, p1, p2, raw[7:], extended=True)
        if n == 9 + lc:
            le = int.from_bytes(raw[-2:], "big") or EXTENDED_MAX_LE
            return cls(cla, ins, p1, p2, raw[7:-2], le, extended=True)
        raise MalformedCommand(f"extended Lc={lc} does not match the {n - 7} bytes after it")
