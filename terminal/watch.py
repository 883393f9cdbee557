"""Card insertion and removal events from PC/SC's status-change machinery (no polling sleeps).

`CardWatcher.events()` blocks in SCardGetStatusChange with an infinite timeout and yields an
event per change; `cancel()` (from any thread, e.g. on Ctrl-C) wakes it through SCardCancel.
Failures of the service are raised to the caller, never swallowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from smartcard import scard

from .pcsc import Context, _u32, error_for

PNP = "\\\\?PnP?\\Notification"


@dataclass(frozen=True)
class CardEvent:
    kind: str  # "inserted" or "removed"
    reader: str
    atr: bytes


class CardWatcher:
    def __init__(self) -> None:
        self.context = Context()

    def cancel(self) -> None:
        if self.context.handle is not None:
            scard.SCardCancel(self.context.handle)

    def close(self) -> None:
        self.context.close()

    def events(self) -> Iterator[CardEvent]:
        """Cards already present are reported first as inserted; then every change as it happens."""
        known: dict[str, int] = {}  # reader -> last event state
        present: dict[str, bool] = {}
        while True:
            names = self.context.readers()
            for gone in set(known) - set(names):
                if present.pop(gone, False):
                    yield CardEvent("removed", gone, b"")
                known.pop(gone)
            watch = [(name, known.get(name, scard.SCARD_STATE_UNAWARE)) for name in names]
            watch.append((PNP, known.get(PNP, scard.SCARD_STATE_UNAWARE)))
            hr, states = scard.SCardGetStatusChange(self.context.handle, scard.INFINITE, watch)
            if _u32(hr) == _u32(scard.SCARD_E_CANCELLED):
                return
            if _u32(hr) == _u32(scard.SCARD_E_TIMEOUT):
                continue
            if hr != scard.SCARD_S_SUCCESS:
                raise error_for(hr, None, "waiting for card events")
            for name, event, atr in states:
                known[name] = event & ~scard.SCARD_STATE_CHANGED
                if name == PNP:
                    continue
                now = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
                if now != present.get(name, False):
                    present[name] = now
                    yield CardEvent("inserted" if now else "removed", name, bytes(atr) if now else b"")
