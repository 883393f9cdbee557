"""Response APDUs: data followed by the status word SW1 SW2."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import MalformedResponse


@dataclass(frozen=True)
class Response:
    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    def encode(self) -> bytes:
        return bytes(self.data) + bytes((self.sw1, self.sw2))

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def decode(cls, raw: bytes | bytearray) -> "Response":
        if len(raw) < 2:
            raise MalformedResponse(
                f"a response needs at least the two status bytes, got {len(raw)} byte(s): "
                "the card answer was truncated or the card did not respond"
            )
        return cls(bytes(raw[:-2]), raw[-2], raw[-1])

    @classmethod
    def of(cls, sw: int, data: bytes = b"") -> "Response":
        return cls(bytes(data), (sw >> 8) & 0xFF, sw & 0xFF)
