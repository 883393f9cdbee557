"""PIN policy the terminal applies before anything reaches the card (provincial rules)."""

from __future__ import annotations

import os

from apdu import profile
from apdu.pin import Pin

from .errors import WeakPin

INITIAL_PIN_ENV = "SSCARD_INITIAL_PIN"


def initial_pin() -> Pin:
    """The initial PIN cards are issued with: 123456 unless the environment says otherwise."""
    return Pin(os.environ.get(INITIAL_PIN_ENV, profile.DEFAULT_INITIAL_PIN))


def weakness(new: Pin, old: Pin | None = None, initial: Pin | None = None) -> str | None:
    """Why `new` may not be used as a PIN, or None when it is acceptable."""
    digits = new.digits()
    try:
        values = [d - 0x30 for d in digits]
        steps = {b - a for a, b in zip(values, values[1:])}
        if steps == {0}:
            reason = "all digits are the same"
        elif steps == {1}:
            reason = "the digits form an ascending run (like 123456)"
        elif steps == {-1}:
            reason = "the digits form a descending run (like 654321)"
        elif initial is not None and new == initial:
            reason = "it is the initial PIN; choose a PIN of your own"
        elif old is not None and new == old:
            reason = "it is the same as the current PIN"
        else:
            reason = None
        values[:] = [0] * len(values)
        return reason
    finally:
        digits[:] = bytes(len(digits))


def check_new_pin(new: Pin, old: Pin | None = None, initial: Pin | None = None) -> None:
    reason = weakness(new, old, initial)
    if reason:
        raise WeakPin(f"new PIN refused: {reason}")
