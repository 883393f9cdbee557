"""PC/SC through pyscard: the transport for real readers, reader listing, and their errors.

Uses pyscard's `smartcard.scard` layer directly so every PC/SC return code maps to one typed
error with a message saying what to do. Transactions are re-entrant per connection, so an
operation that calls another (check the card, then verify) holds the card throughout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from smartcard import scard

from .errors import (
    AmbiguousReader,
    CardRemoved,
    CardReset,
    FeatureUnsupported,
    NoCard,
    NoReader,
    PcscUnavailable,
    ReaderUnavailable,
    SharingViolation,
    TransportError,
    UnresponsiveCard,
)
from .transport import Transport

#: How long to wait for pcscd to report a card that stopped answering as removed (it polls
#: readers like vpcd every 400 ms).
LOST_CARD_SETTLE_MS = 1500


def _u32(hr: int) -> int:
    return hr & 0xFFFFFFFF


def error_for(hr: int, reader: str | None, doing: str) -> TransportError:
    """The typed error of a PC/SC return code."""
    code = _u32(hr)
    where = f"reader {reader!r}" if reader else "PC/SC"
    table: dict[int, tuple[type[TransportError], str]] = {
        _u32(scard.SCARD_E_NO_SERVICE): (PcscUnavailable, "the PC/SC service is not running: start pcscd (`systemctl start pcscd` or `pcscd -f`)"),
        _u32(scard.SCARD_E_SERVICE_STOPPED): (PcscUnavailable, "the PC/SC service stopped: restart pcscd and try again"),
        _u32(scard.SCARD_E_NO_READERS_AVAILABLE): (NoReader, "no smart-card reader is connected: plug one in"),
        _u32(scard.SCARD_E_UNKNOWN_READER): (ReaderUnavailable, f"{where} is not known to pcscd: check `sscard readers`"),
        _u32(scard.SCARD_E_READER_UNAVAILABLE): (ReaderUnavailable, f"{where} is not available: reconnect it"),
        _u32(scard.SCARD_E_NO_SMARTCARD): (NoCard, f"no card in {where}: insert the card"),
        _u32(scard.SCARD_W_REMOVED_CARD): (CardRemoved, f"the card was removed from {where} during {doing}: reinsert it and start again"),
        _u32(scard.SCARD_W_RESET_CARD): (CardReset, f"the card in {where} was reset by another program during {doing}: start again (nothing is resent automatically)"),
        _u32(scard.SCARD_E_SHARING_VIOLATION): (SharingViolation, f"{where} is in use by another program: close it and try again"),
        _u32(scard.SCARD_W_UNRESPONSIVE_CARD): (UnresponsiveCard, f"the card in {where} does not respond: check it is inserted the right way up, then reinsert it"),
        _u32(scard.SCARD_W_UNPOWERED_CARD): (UnresponsiveCard, f"the card in {where} is not powered: reinsert it"),
        _u32(scard.SCARD_E_PROTO_MISMATCH): (UnresponsiveCard, f"the card in {where} speaks no protocol the reader offers"),
    }
    cls, message = table.get(code, (TransportError, ""))
    if not message:
        message = f"{where}: {doing} failed: {scard.SCardGetErrorMessage(hr)} (0x{code:08X})"
    error = cls(message)
    error.pcsc_code = code  # type: ignore[attr-defined]
    return error


class Context:
    """A PC/SC context (one per transport or listing); released on close."""

    def __init__(self) -> None:
        hr, self.handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr != scard.SCARD_S_SUCCESS:
            raise error_for(hr, None, "connecting to the PC/SC service")

    def readers(self) -> list[str]:
        hr, names = scard.SCardListReaders(self.handle, [])
        if _u32(hr) == _u32(scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        if hr != scard.SCARD_S_SUCCESS:
            raise error_for(hr, None, "listing readers")
        return list(names)

    def close(self) -> None:
        if self.handle is not None:
            scard.SCardReleaseContext(self.handle)
            self.handle = None

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class ReaderStatus:
    index: int
    name: str
    card_present: bool
    atr: bytes


def reader_statuses(context: Context) -> list[ReaderStatus]:
    names = context.readers()
    if not names:
        return []
    hr, states = scard.SCardGetStatusChange(context.handle, 0, [(n, scard.SCARD_STATE_UNAWARE) for n in names])
    if hr != scard.SCARD_S_SUCCESS:
        raise error_for(hr, None, "reading reader states")
    out = []
    for i, (name, event, atr) in enumerate(states):
        present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
        out.append(ReaderStatus(i, name, present, bytes(atr) if present else b""))
    return out


def list_readers() -> list[ReaderStatus]:
    with Context() as context:
        return reader_statuses(context)


def choose_reader(choice: str | None, statuses: list[ReaderStatus]) -> str:
    """A reader by exact name, index or unique substring; with no choice, the only one holding a card."""
    if not statuses:
        raise NoReader("no smart-card reader is connected: plug one in")
    names = [s.name for s in statuses]
    if choice is None:
        with_card = [s.name for s in statuses if s.card_present]
        if len(with_card) == 1:
            return with_card[0]
        if not with_card:
            raise NoCard(f"no card in any reader ({', '.join(names)}): insert the card or name a reader with --reader")
        raise AmbiguousReader(f"cards in several readers ({', '.join(with_card)}): choose one with --reader")
    if choice in names:
        return choice
    if choice.isdigit():
        index = int(choice)
        if index < len(names):
            return names[index]
        raise NoReader(f"no reader number {index}: there are {len(names)} (0..{len(names) - 1})")
    matches = [n for n in names if choice.lower() in n.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NoReader(
            f"no reader matches {choice!r}; readers: {', '.join(names)} "
            "(or emu:STATE.json for an emulated card, replay:FILE.json for a recording)"
        )
    raise AmbiguousReader(f"{choice!r} matches several readers ({', '.join(matches)}): be more specific")


class PcscTransport(Transport):
    """One connection to a card in a PC/SC reader, in shared or exclusive mode."""

    def __init__(self, reader: str, *, exclusive: bool = False) -> None:
        self.name = reader
        self.reader = reader
        self.exclusive = exclusive
        self._context: Context | None = None
        self._card: int | None = None
        self._protocol = 0
        self._atr = b""
        self._depth = 0

    def connect(self) -> None:
        self._context = Context()
        share = scard.SCARD_SHARE_EXCLUSIVE if self.exclusive else scard.SCARD_SHARE_SHARED
        hr, card, protocol = scard.SCardConnect(
            self._context.handle, self.reader, share, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if hr != scard.SCARD_S_SUCCESS:
            self._context.close()
            self._context = None
            raise error_for(hr, self.reader, "connecting to the card")
        self._card = card
        self._protocol = 1 if protocol == scard.SCARD_PROTOCOL_T1 else 0
        hr, _name, _state, _proto, atr = scard.SCardStatus(card)
        if hr != scard.SCARD_S_SUCCESS:
            self.disconnect()
            raise error_for(hr, self.reader, "reading the card status")
        self._atr = bytes(atr)

    def disconnect(self) -> None:
        if self._card is not None:
            scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
            self._card = None
        if self._context is not None:
            self._context.close()
            self._context = None

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def protocol(self) -> int:
        return self._protocol

    def _handle(self) -> int:
        if self._card is None:
            raise CardRemoved(f"reader {self.reader!r}: not connected")
        return self._card

    def transmit(self, apdu: bytes) -> bytes:
        pci = scard.SCARD_PCI_T1 if self._protocol == 1 else scard.SCARD_PCI_T0
        hr, response = scard.SCardTransmit(self._handle(), pci, list(apdu))
        if hr != scard.SCARD_S_SUCCESS:
            raise self._failure(hr, "a command")
        if len(response) < 2:
            # A reader that lost the card mid-command may still report success with no bytes
            # (vpcd does): find out whether the card left before blaming the card.
            raise self._lost("a command")
        return bytes(response)

    def control(self, code: int, data: bytes) -> bytes:
        hr, response = scard.SCardControl(self._handle(), code, list(data))
        if _u32(hr) in (_u32(scard.SCARD_E_UNSUPPORTED_FEATURE), _u32(scard.SCARD_E_INVALID_PARAMETER)):
            raise FeatureUnsupported(f"reader {self.reader!r} offers no such feature (control code 0x{code:08X})")
        if hr != scard.SCARD_S_SUCCESS:
            raise self._failure(hr, "a reader control command")
        return bytes(response)

    def _failure(self, hr: int, doing: str) -> TransportError:
        """A failed exchange: when pcscd only says "not transacted", ask whether the card left."""
        if _u32(hr) == _u32(scard.SCARD_E_NOT_TRANSACTED) and self._card is not None:
            return self._lost(doing)
        return error_for(hr, self.reader, doing)

    def _lost(self, doing: str, settle_ms: int = LOST_CARD_SETTLE_MS) -> TransportError:
        """The card gave no answer: removed, reset, or mute. Waits (event-driven) for pcscd to tell."""
        hr, *_ = scard.SCardStatus(self._handle())
        if hr != scard.SCARD_S_SUCCESS:
            return error_for(hr, self.reader, doing)
        assert self._context is not None
        hr, states = scard.SCardGetStatusChange(
            self._context.handle, 0, [(self.reader, scard.SCARD_STATE_UNAWARE)])
        if hr == scard.SCARD_S_SUCCESS:
            current = states[0][1] & ~scard.SCARD_STATE_CHANGED
            hr, states = scard.SCardGetStatusChange(self._context.handle, settle_ms, [(self.reader, current)])
            if hr == scard.SCARD_S_SUCCESS and not states[0][1] & scard.SCARD_STATE_PRESENT:
                return error_for(scard.SCARD_W_REMOVED_CARD, self.reader, doing)
        hr, *_ = scard.SCardStatus(self._handle())
        if hr != scard.SCARD_S_SUCCESS:
            return error_for(hr, self.reader, doing)
        return UnresponsiveCard(
            f"the card in reader {self.reader!r} gave no answer to {doing}; it may have been removed or "
            "reset: check it and start again (nothing is resent automatically)"
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth == 0:
            hr = scard.SCardBeginTransaction(self._handle())
            if hr != scard.SCARD_S_SUCCESS:
                raise self._failure(hr, "starting a transaction")
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._card is not None:
                scard.SCardEndTransaction(self._card, scard.SCARD_LEAVE_CARD)
