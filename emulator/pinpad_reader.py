"""A virtual PC/SC reader with a keypad, in-process: the same control/transmit surface as a
pyscard connection. Debian's vpcd rejects SCardControl, so Part 10 is tested against this.

It answers CM_IOCTL_GET_FEATURE_REQUEST with control codes it makes up per instance (so a
host that hard-codes them fails), parses PIN_VERIFY/PIN_MODIFY structures byte for byte,
takes the next scripted keypad entry, writes it into the APDU template as the structure
says and forwards the APDU to the card. A scripted "cancel" or "timeout" gives the reader's
pseudo status word and sends nothing to the card.
"""

from __future__ import annotations

import secrets
from collections import deque

from smartcard.scard import SCARD_CTL_CODE

from apdu import part10
from apdu.part10 import Part10Error, PinFormat, PinModifyStructure, PinVerifyStructure, insert_pin

from .base import ApduCard

CANCEL, TIMEOUT = "cancel", "timeout"


class ControlRefused(Exception):
    """SCardControl with a code the reader does not know."""


class VirtualPinPadReader:
    def __init__(self, card: ApduCard, keypad: list[str] | None = None, *, modify: bool = True) -> None:
        self.card = card
        self.keypad: deque[str] = deque(keypad or [])
        self.entries = 0
        base = 0x42330000 + ((secrets.randbelow(0x0FFE) + 1) << 4)  # never the CCID driver's own codes
        self.codes = {
            part10.FEATURE_VERIFY_PIN_DIRECT: base + 6,
            part10.FEATURE_IFD_PIN_PROPERTIES: base + 10,
            part10.FEATURE_GET_TLV_PROPERTIES: base + 12,
        }
        if modify:
            self.codes[part10.FEATURE_MODIFY_PIN_DIRECT] = base + 7

    # --- the card side (CardLike) ---------------------------------------------------------
    @property
    def atr(self) -> bytes:
        return self.card.atr

    def power_on(self) -> bytes:
        return self.card.power_on()

    def power_off(self) -> None:
        self.card.power_off()

    def execute(self, apdu: bytes) -> bytes:
        return self.card.execute(apdu)

    # --- SCardControl ---------------------------------------------------------------------
    def control(self, code: int, data: bytes) -> bytes:
        if code == SCARD_CTL_CODE(3400):
            return part10.build_features(self.codes)
        feature = next((tag for tag, c in self.codes.items() if c == code), None)
        if feature == part10.FEATURE_IFD_PIN_PROPERTIES:
            return bytes((0x00, 0x00, part10.VALIDATE_KEY, 0x00))  # no LCD, validation key, no timeout2
        if feature == part10.FEATURE_GET_TLV_PROPERTIES:
            return bytes((0x06, 0x01, 0x06, 0x07, 0x01, 0x06))  # min 6, max 6 digits
        if feature == part10.FEATURE_VERIFY_PIN_DIRECT:
            return self._verify(bytes(data))
        if feature == part10.FEATURE_MODIFY_PIN_DIRECT:
            return self._modify(bytes(data))
        raise ControlRefused(f"control code 0x{code:08X} not supported by this reader")

    def _next(self, fmt: PinFormat) -> bytearray | int:
        self.entries += 1
        entry = self.keypad.popleft() if self.keypad else TIMEOUT
        if entry == CANCEL:
            return part10.SW_CANCELLED
        if entry == TIMEOUT:
            return part10.SW_TIMEOUT
        if not fmt.min_digits <= len(entry) <= fmt.max_digits or not entry.isdigit():
            return part10.SW_LENGTH_OUT_OF_RANGE
        return bytearray(entry.encode())

    @staticmethod
    def _check(fmt: PinFormat, template: bytes) -> bool:
        return (
            fmt.format_string & part10.FORMAT_UNITS_BYTES
            and fmt.encoding == part10.ENCODING_BCD
            and 0 < fmt.block_size
            and 1 <= fmt.min_digits <= fmt.max_digits <= 2 * fmt.block_size
            and len(template) >= 5
            and template[4] == len(template) - 5
        )

    def _parse(self, decode, data: bytes):  # type: ignore[no-untyped-def]
        """The decoded structure, or None when a real reader would answer 6B80."""
        try:
            s = decode(data)
        except Part10Error:
            return None
        return s if self._check(s.pin, s.template) else None

    def _verify(self, data: bytes) -> bytes:
        s = self._parse(PinVerifyStructure.decode, data)
        if s is None:
            return part10.SW_BAD_STRUCTURE.to_bytes(2, "big")
        pin = self._next(s.pin)
        if isinstance(pin, int):
            return pin.to_bytes(2, "big")
        return self._send(s.template, [(0, s.pin, pin)])

    def _modify(self, data: bytes) -> bytes:
        s = self._parse(PinModifyStructure.decode, data)
        if s is None:
            return part10.SW_BAD_STRUCTURE.to_bytes(2, "big")
        writes = []
        if s.confirm & part10.ENTER_CURRENT:
            old = self._next(s.pin)
            if isinstance(old, int):
                return old.to_bytes(2, "big")
            writes.append((s.offset_old, s.pin, old))
        new = self._next(s.pin)
        if isinstance(new, int):
            return new.to_bytes(2, "big")
        if s.confirm & part10.CONFIRM_NEW:
            again = self._next(s.pin)
            if isinstance(again, int):
                return again.to_bytes(2, "big")
            if again != new:
                return part10.SW_PINS_DIFFER.to_bytes(2, "big")
        writes.append((s.offset_new, s.pin, new))
        return self._send(s.template, writes)

    def _send(self, template: bytes, writes: list[tuple[int, PinFormat, bytearray]]) -> bytes:
        apdu = bytearray(template)
        try:
            for offset, fmt, digits in writes:
                insert_pin(apdu, offset, fmt, digits)
        except Part10Error:
            return part10.SW_BAD_STRUCTURE.to_bytes(2, "big")
        finally:
            for _, _, digits in writes:
                digits[:] = bytes(len(digits))
        try:
            return self.card.execute(bytes(apdu))
        finally:
            apdu[:] = bytes(len(apdu))
