"""The clear-text ESC command family of common counter PIN pads (密码键盘).

Host → pad: `ESC N <n>` set the PIN length (n as an ASCII digit), `ESC I` ask for the PIN,
`ESC E` ask for it again, `0x83` close (lights off, clear). Pad → host: frames STX (02) … ETX
(03) holding "OK", "ER" (the holder pressed cancel) or the typed digits in ASCII. The
`esc-nibble` variant sends every byte of a frame as two bytes 0x30|high, 0x30|low.
Bytes before STX (line noise, key clicks) are skipped; anything else inside a frame is an error.
"""

from __future__ import annotations

import termios
import time

import serial

from ..source import PinEntryCancelled, PinEntryTimeout, PinPadError, PinPadUnplugged

ESC, STX, ETX = 0x1B, 0x02, 0x03
CLOSE = 0x83
MAX_NOISE = 64
#: What a vanished device raises: pyserial's own errors, the OS's, and termios's (tcdrain/tcflush
#: on a pty or USB adapter that went away), which is not an OSError.
GONE = (serial.SerialException, OSError, termios.error)


class EscProtocol:
    name = "esc"
    nibbles = False

    def __init__(self, port: serial.SerialBase) -> None:
        self.port = port

    # --- framing ---------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except GONE as exc:
            raise PinPadUnplugged(f"PIN pad disconnected: {exc}") from None

    def _read_byte(self, deadline: float) -> int:
        while True:
            try:
                chunk = self.port.read(1)
            except GONE as exc:
                raise PinPadUnplugged(f"PIN pad disconnected: {exc}") from None
            if chunk:
                return chunk[0]
            if time.monotonic() >= deadline:
                raise PinEntryTimeout("no answer from the PIN pad in time")

    def read_frame(self, deadline: float) -> bytearray:
        noise = 0
        while (b := self._read_byte(deadline)) != STX:
            noise += 1
            if noise > MAX_NOISE:
                raise PinPadError("the PIN pad sends garbage instead of a frame")
        raw = bytearray()
        try:
            while (b := self._read_byte(deadline)) != ETX:
                raw.append(b)
                if len(raw) > 64:
                    raise PinPadError("the PIN pad's frame does not end")
            return self._unwrap(raw)
        finally:
            raw[:] = bytes(len(raw))

    def _unwrap(self, raw: bytearray) -> bytearray:
        if not self.nibbles:
            return bytearray(raw)
        if len(raw) % 2 or any(b & 0xF0 != 0x30 for b in raw):
            raise PinPadError("the PIN pad's split-byte frame is malformed")
        return bytearray(((raw[i] & 0x0F) << 4) | (raw[i + 1] & 0x0F) for i in range(0, len(raw), 2))

    # --- the commands ----------------------------------------------------------------------
    def set_length(self, length: int, deadline: float) -> None:
        self._write(bytes((ESC, ord("N"), ord(str(length)))))
        answer = self.read_frame(deadline)
        if bytes(answer) != b"OK":
            raise PinPadError("the PIN pad did not accept the PIN length")

    def enter(self, again: bool, length: int, timeout: float) -> bytearray:
        """Ask for the PIN (or for it again); the digits as ASCII in a bytearray the caller wipes."""
        deadline = time.monotonic() + timeout
        try:
            self.port.reset_input_buffer()
        except GONE as exc:
            raise PinPadUnplugged(f"PIN pad disconnected: {exc}") from None
        self.set_length(length, deadline)
        self._write(bytes((ESC, ord("E" if again else "I"))))
        digits = self.read_frame(deadline)
        if bytes(digits) == b"ER":
            raise PinEntryCancelled("PIN entry cancelled on the PIN pad")
        if not all(0x30 <= d <= 0x39 for d in digits):
            count = len(digits)
            digits[:] = bytes(count)
            raise PinPadError(f"the PIN pad sent {count} bytes that are not digits")
        return digits

    def close(self) -> None:
        try:
            self._write(bytes((CLOSE,)))
        except PinPadUnplugged:
            pass


class EscNibbleProtocol(EscProtocol):
    name = "esc-nibble"
    nibbles = True
