"""Errors of the terminal side that are not card status words: readers, transports, refusals."""

from __future__ import annotations

import datetime as dt

from apdu.errors import SscardError


class TransportError(SscardError):
    """The reader or the link to the card failed; the message says what to do."""


class ReaderUnavailable(TransportError):
    """The reader named by --reader cannot be opened."""


class NoCard(TransportError):
    """No card is in the reader."""


class CardRemoved(TransportError):
    """The card was removed (or powered off) during an operation."""


class ReplayError(TransportError):
    """A replay file that cannot be used."""


class RecordingRefused(TransportError):
    """A PIN-bearing command was about to be written into an APDU recording."""


class ProtocolError(SscardError):
    """The card broke the transmission rules (e.g. endless 61xx chains)."""


class CardRefused(SscardError):
    """The card may not be served (expired, reported lost, cancelled, not a social security card)."""


class CardExpired(CardRefused):
    def __init__(self, expiry: dt.date) -> None:
        self.expiry = expiry
        super().__init__(f"card expired on {expiry:%Y-%m-%d}: expired, replace the card")


class NotSocialSecurityCard(CardRefused):
    def __init__(self, detail: str) -> None:
        super().__init__(f"not a social security card: {detail}")


class PinRefused(SscardError):
    """A PIN that the terminal refuses before anything is sent to the card."""


class WeakPin(PinRefused):
    pass
