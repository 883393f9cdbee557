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


class PinLengthOutOfRange(PinEntryError):
    def __init__(self, message: str = "the PIN typed on the pad has the wrong length (6 digits)") -> None:
        super().__init__(message)


class PinPadError(PinEntryError):
    """The PIN pad misbehaved (garbage, refused a structure, unsupported); nothing reached the card."""


class PinPadUnplugged(PinPadError):
    """The PIN pad went away during entry."""


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


class SecurePinEntry(ABC):
    """A device that performs the PIN-bearing command itself, so the PIN never reaches the host.

    Each method takes the command APDU with its PIN bytes zeroed (a template) and returns the
    card's response bytes; reader-side outcomes (timeout, cancel, …) raise `PinEntryError`s.
    """

    @abstractmethod
    def verify(self, template: bytes) -> bytes: ...

    @abstractmethod
    def modify(self, template: bytes, offset_old: int, offset_new: int) -> bytes: ...
