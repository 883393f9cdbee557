"""Serial PIN pads (pyserial): open, prompt and read digits with a timeout, cancel, close.

A clear-text pad passes the PIN through the host, so it is used only when enabled explicitly
(`--allow-clear-pinpad`). Each vendor's command family is one module in `pinpad/protocols`,
chosen with `protocol=`. Never use pyserial's `spy://` with a PIN pad: it logs the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

import serial

from apdu.pin import Pin
from apdu.profile import PIN_LENGTH

from .protocols import PROTOCOLS
from .protocols.esc import GONE
from .source import PinEntryError, PinPadError, PinPadUnplugged, PinSource


@dataclass(frozen=True)
class SerialSpec:
    """`serial:PORT[?baud=9600&protocol=esc&timeout=30]`; PORT may be a device or a pyserial URL."""

    port: str
    baudrate: int = 9600
    protocol: str = "esc"
    timeout: float = 30.0

    @classmethod
    def parse(cls, text: str) -> "SerialSpec":
        port, _, query = text.partition("?")
        if not port:
            raise PinPadError("a serial PIN pad needs a port: serial:/dev/ttyUSB0")
        if port.startswith("spy://"):
            raise PinPadError("spy:// logs every byte, PINs included: not allowed for PIN pads")
        options = {k: v[-1] for k, v in parse_qs(query, strict_parsing=False).items()}
        unknown = set(options) - {"baud", "protocol", "timeout"}
        if unknown:
            raise PinPadError(f"unknown serial PIN pad option(s): {', '.join(sorted(unknown))}")
        try:
            spec = cls(port, int(options.get("baud", 9600)), options.get("protocol", "esc"),
                       float(options.get("timeout", 30)))
        except ValueError:
            raise PinPadError("baud and timeout must be numbers") from None
        if spec.protocol not in PROTOCOLS:
            raise PinPadError(f"unknown PIN pad protocol {spec.protocol!r}: one of {', '.join(PROTOCOLS)}")
        return spec


class SerialPinPad(PinSource):
    """A clear-text serial PIN pad as a PIN source."""

    def __init__(self, spec: SerialSpec) -> None:
        self.spec = spec
        try:
            self.port = serial.serial_for_url(spec.port, baudrate=spec.baudrate, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PinPadUnplugged(f"cannot open PIN pad {spec.port}: {exc}") from None
        self.protocol = PROTOCOLS[spec.protocol](self.port)
        self._asked = False

    def read_pin(self, prompt: str) -> Pin:
        again = self._asked and "again" in prompt.lower()
        self._asked = True
        try:
            digits = self.protocol.enter(again, PIN_LENGTH, self.spec.timeout)
        except PinEntryError:
            self.protocol.close()
            raise
        try:
            return Pin(digits)
        finally:
            digits[:] = bytes(len(digits))

    def close(self) -> None:
        self.protocol.close()
        try:
            self.port.close()
        except GONE:
            pass

    def __enter__(self) -> "SerialPinPad":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
