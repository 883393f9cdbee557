"""The social-security PIN: six decimal digits, held in a wipeable buffer and never shown.

`Pin` keeps its digits in a bytearray that `wipe()` overwrites; its repr, str and every
error message are free of digits, so a PIN cannot leak through logging or tracebacks.
"""

from __future__ import annotations

import hmac

from .errors import InvalidPinFormat
from .profile import PIN_LENGTH


class Pin:
    __slots__ = ("_digits",)

    def __init__(self, digits: bytes | bytearray | str) -> None:
        buf = bytearray(digits.encode("ascii", "replace") if isinstance(digits, str) else digits)
        if len(buf) != PIN_LENGTH or not all(0x30 <= b <= 0x39 for b in buf):
            count = len(buf)
            _wipe(buf)
            raise InvalidPinFormat(f"a PIN is exactly {PIN_LENGTH} decimal digits (got {count} character(s))")
        self._digits = buf

    @property
    def wiped(self) -> bool:
        return not self._digits

    def digits(self) -> bytearray:
        """A fresh copy of the ASCII digits; the caller wipes it."""
        self._check()
        return bytearray(self._digits)

    def bcd(self) -> bytearray:
        """The 3-byte BCD form the card's PIN commands carry; the caller wipes it."""
        self._check()
        out = bytearray(PIN_LENGTH // 2)
        for i in range(0, PIN_LENGTH, 2):
            out[i // 2] = ((self._digits[i] - 0x30) << 4) | (self._digits[i + 1] - 0x30)
        return out

    @classmethod
    def from_bcd(cls, data: bytes | bytearray) -> "Pin":
        """Decode 3 BCD bytes; a nibble above 9 raises `InvalidPinFormat`."""
        if len(data) != PIN_LENGTH // 2:
            raise InvalidPinFormat(f"a BCD PIN is {PIN_LENGTH // 2} bytes (got {len(data)})")
        buf = bytearray()
        try:
            for b in data:
                for nibble in (b >> 4, b & 0x0F):
                    if nibble > 9:
                        raise InvalidPinFormat("BCD PIN holds a nibble that is not a decimal digit")
                    buf.append(0x30 + nibble)
            return cls(buf)
        finally:
            _wipe(buf)

    def wipe(self) -> None:
        _wipe(self._digits)
        self._digits = bytearray()

    def _check(self) -> None:
        if not self._digits:
            raise InvalidPinFormat("this PIN was wiped after use")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pin):
            return NotImplemented
        return hmac.compare_digest(bytes(self._digits), bytes(other._digits))

    def __hash__(self) -> int:  # never usable as a key: a hash of a 6-digit PIN reveals it
        raise TypeError("Pin is not hashable")

    def __enter__(self) -> "Pin":
        return self

    def __exit__(self, *exc: object) -> None:
        self.wipe()

    def __repr__(self) -> str:
        return "Pin(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> object:
        raise TypeError("a Pin cannot be pickled")


def _wipe(buf: bytearray) -> None:
    for i in range(len(buf)):
        buf[i] = 0
