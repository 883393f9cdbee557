"""The one interface every PIN source implements, and its errors."""

from __future__ import annotations

from abc import ABC, abstractmethod

from apdu.errors import SscardError
from apdu.pin import Pin


class PinEntryError(SscardError):
    """PIN entry did not produce a PIN; nothing was sent to the card."""


class PinEntryCancelled(PinEntryError):
    def __init__(self, message: str = "PIN entry cancelled") -> None:
        super().__init__(message)


class PinEntryTimeout(PinEntryError):
    def __init__(self, message: str = "PIN entry timed out") -> None:
        super().__init__(message)


class PinEntriesDiffer(PinEntryError):
    def __init__(self, message: str = "the two entries of the new PIN differ") -> None:
        super().__init__(message)


class PinSource(ABC):
    """Hands the terminal one PIN per request; the caller wipes it after use."""

    @abstractmethod
    def read_pin(self, prompt: str) -> Pin:
        """Ask for one PIN. Raises `InvalidPinFormat` or a `PinEntryError`."""

    def read_new_pin(self, prompt: str = "New PIN: ", again: str = "New PIN again: ") -> Pin:
        """Ask twice; the entries must match."""
        first = self.read_pin(prompt)
        try:
            second = self.read_pin(again)
        except BaseException:
            first.wipe()
            raise
        with second:
            if first != second:
                first.wipe()
                raise PinEntriesDiffer()
        return first
