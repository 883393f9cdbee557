"""The reader's own keypad through PC/SC Part 10 (SCardControl): the PIN never reaches the host.

Feature control codes come from the reader's answer to CM_IOCTL_GET_FEATURE_REQUEST, never
from constants. The blocking entry runs on a worker thread, never on the caller's (UI or
event) thread; Ctrl-C there asks the reader to abort when it offers FEATURE_ABORT.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Protocol

from apdu import part10
from apdu.part10 import PinModifyStructure, PinVerifyStructure

from .source import (
    PinEntriesDiffer,
    PinEntryCancelled,
    PinEntryTimeout,
    PinLengthOutOfRange,
    PinPadError,
    SecurePinEntry,
)

log = logging.getLogger("sscard.pinpad")


def get_feature_request_code() -> int:
    """CM_IOCTL_GET_FEATURE_REQUEST = SCARD_CTL_CODE(3400): 0x42000D48 on pcsc-lite, 0x313520 on Windows."""
    from smartcard.scard import SCARD_CTL_CODE

    return SCARD_CTL_CODE(3400)


class ControlConnection(Protocol):
    """The part of a reader connection Part 10 needs (a pyscard connection or a transport)."""

    def control(self, code: int, data: bytes) -> bytes: ...


_PSEUDO = {
    part10.SW_TIMEOUT: PinEntryTimeout("PIN entry on the reader's keypad timed out"),
    part10.SW_CANCELLED: PinEntryCancelled("PIN entry cancelled on the reader's keypad"),
    part10.SW_PINS_DIFFER: PinEntriesDiffer("the two entries of the new PIN on the keypad differ"),
    part10.SW_LENGTH_OUT_OF_RANGE: PinLengthOutOfRange(),
    part10.SW_BAD_STRUCTURE: PinPadError("the reader refused the PIN structure (6B80)"),
}


class Part10PinPad(SecurePinEntry):
    def __init__(self, connection: ControlConnection, *, timeout: int = 30) -> None:
        self.connection = connection
        self.timeout = timeout
        answer = connection.control(get_feature_request_code(), b"")
        self.features = part10.parse_features(answer)
        if part10.FEATURE_VERIFY_PIN_DIRECT not in self.features:
            raise PinPadError("the reader has no secure PIN entry (no FEATURE_VERIFY_PIN_DIRECT)")

    def properties(self) -> dict[str, int]:
        """The keypad's properties: GET_TLV_PROPERTIES when offered, else IFD_PIN_PROPERTIES."""
        if part10.FEATURE_GET_TLV_PROPERTIES in self.features:
            tlv = part10.parse_tlv_properties(self.connection.control(self.features[part10.FEATURE_GET_TLV_PROPERTIES], b""))
            return {f"tag_{tag:02X}": value for tag, value in tlv.items()}
        if part10.FEATURE_IFD_PIN_PROPERTIES in self.features:
            raw = self.connection.control(self.features[part10.FEATURE_IFD_PIN_PROPERTIES], b"")
            if len(raw) >= 4:
                return {"lcd_layout": int.from_bytes(raw[:2], "little"), "entry_validation": raw[2], "timeout2": raw[3]}
        return {}

    def verify(self, template: bytes) -> bytes:
        structure = PinVerifyStructure(bytes(template), timeout=self.timeout).encode()
        return self._entry(self.features[part10.FEATURE_VERIFY_PIN_DIRECT], structure)

    def modify(self, template: bytes, offset_old: int, offset_new: int) -> bytes:
        code = self.features.get(part10.FEATURE_MODIFY_PIN_DIRECT)
        if code is None:
            raise PinPadError("the reader's keypad cannot change PINs (no FEATURE_MODIFY_PIN_DIRECT)")
        structure = PinModifyStructure(bytes(template), offset_old, offset_new, timeout=self.timeout).encode()
        return self._entry(code, structure)

    def _entry(self, code: int, structure: bytes) -> bytes:
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sscard-pinpad") as pool:
            future = pool.submit(self.connection.control, code, structure)
            try:
                answer = future.result()
            except KeyboardInterrupt:
                abort = self.features.get(part10.FEATURE_ABORT)
                if abort is not None:
                    self.connection.control(abort, b"")
                raise PinEntryCancelled() from None
        if len(answer) != 2:
            raise PinPadError(f"the reader answered the PIN entry with {len(answer)} bytes instead of a status word")
        error = _PSEUDO.get(int.from_bytes(answer, "big"))
        if error is not None:
            raise type(error)(str(error))
        return bytes(answer)
