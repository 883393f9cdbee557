"""Errors of the terminal side that are not card status words: readers, transports, refusals."""

from __future__ import annotations

import datetime as dt

from apdu.errors import SscardError


class TransportError(SscardError):
    """The reader or the link to the card failed; the message says what to do."""


class ReaderUnavailable(TransportError):
    """The reader named by --reader cannot be opened."""


class PcscUnavailable(TransportError):
    """The PC/SC service (pcscd) is not running or not reachable."""


class NoReader(TransportError):
    """No reader is connected, or none matches the choice."""


class AmbiguousReader(TransportError):
    """The reader choice matches more than one reader (or more than one holds a card)."""


class NoCard(TransportError):
    """No card is in the reader."""


class CardRemoved(TransportError):
    """The card was removed (or powered off) during an operation."""


class CardReset(TransportError):
    """Another program reset the card during an operation; any verified state is gone."""


class SharingViolation(TransportError):
    """Another program holds the reader exclusively."""


class FeatureUnsupported(TransportError):
    """The reader does not offer what was asked (e.g. SCardControl for a PIN pad)."""


class UnresponsiveCard(TransportError):
    """The card does not answer (mute, inserted the wrong way, dirty contacts)."""


class ReplayError(TransportError):
    """A replay file that cannot be used."""


class RecordingRefused(TransportError):
    """A PIN-bearing command was about to be written into an APDU recording."""


class ProtocolError(SscardError):
    """The card broke the transmission rules (e.g. endless 61xx chains)."""


class CardRefused(SscardError):
    """The card may not be served (expired, not a social security card)."""


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


class PolicyError(SscardError):
    """An outlet rule was not met (operator ID, agent identity); nothing was sent to the card."""


class PsamError(SscardError):
    """The security module (PSAM) cannot serve this card."""


class NoPsam(PsamError):
    """No usable PSAM (vendors' −2201)."""


class PsamAlgorithmNotSupported(PsamError):
    """The PSAM's algorithm does not fit the card (vendors' −2202)."""


class PsamKeysDoNotFit(PsamError):
    """Same algorithm, but the card refused the PSAM's cryptogram: other keys."""


class AuditError(SscardError):
    """The audit trail could not be written or read."""
