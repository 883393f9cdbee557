"""`--pinpad`: where the terminal gets PINs from, bound to the card's reader once it is open."""

from __future__ import annotations

from pinpad.console import ConsolePinSource
from pinpad.part10 import Part10PinPad
from pinpad.serialpad import SerialPinPad, SerialSpec
from pinpad.source import PinPadError, PinSource, SecurePinEntry

from .errors import FeatureUnsupported, PolicyError
from .transport import Transport

PINPAD_HELP = (
    "Where PINs come from: console (default; no echo, or stdin lines), pcsc (the card reader's own "
    "keypad, PC/SC Part 10: the PIN never reaches this computer), or serial:PORT[?baud=9600&protocol=esc"
    "&timeout=30] (a clear-text counter PIN pad: the PIN passes through this computer, so it needs "
    "--allow-clear-pinpad)."
)


def check_pin_source(spec: str, *, allow_clear: bool = False) -> SerialSpec | None:
    """Refuse an unknown or not-permitted --pinpad without touching any device."""
    if spec in ("console", "pcsc"):
        return None
    if spec.startswith("serial:"):
        parsed = SerialSpec.parse(spec[len("serial:") :])
        if not allow_clear:
            raise PolicyError(
                "a serial PIN pad sends the PIN in clear through this computer; "
                "pass --allow-clear-pinpad to use it anyway"
            )
        return parsed
    raise PolicyError(f"unknown --pinpad {spec!r}: console, pcsc or serial:PORT")


def open_pin_source(spec: str, transport: Transport, *, allow_clear: bool = False) -> PinSource | SecurePinEntry:
    serial_spec = check_pin_source(spec, allow_clear=allow_clear)
    if serial_spec is not None:
        return SerialPinPad(serial_spec)
    if spec == "pcsc":
        try:
            return Part10PinPad(transport)
        except FeatureUnsupported as exc:
            raise PinPadError(f"no secure PIN pad on this reader: {exc}") from None
    return ConsolePinSource()
