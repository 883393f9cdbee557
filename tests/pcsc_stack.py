"""Helpers for tests through the real PC/SC stack: pcscd, vpcd slots, emulated cards inserted there."""

from __future__ import annotations

import subprocess
from pathlib import Path
import threading
import time
from typing import Any

from smartcard import scard

from emulator.vpcd import VpcdLink
from terminal.errors import PcscUnavailable
from terminal.pcsc import Context, list_readers

SLOT0 = "Virtual PCD 00 00"
SLOT1 = "Virtual PCD 00 01"
PORTS = {SLOT0: 35963, SLOT1: 35964}


def reader_state(name: str) -> tuple[bool, bytes]:
    for status in list_readers():
        if status.name == name:
            return status.card_present, status.atr
    raise AssertionError(f"reader {name!r} not found")


def wait_reader(name: str, present: bool, atr: bytes | None = None, timeout: float = 10.0) -> None:
    """Block (on PC/SC status changes, not sleeps) until the reader shows the wanted state."""
    deadline = time.monotonic() + timeout
    with Context() as context:
        current = scard.SCARD_STATE_UNAWARE
        while True:
            remaining = int(max(0.0, deadline - time.monotonic()) * 1000)
            hr, states = scard.SCardGetStatusChange(context.handle, remaining, [(name, current)])
            if hr == scard.SCARD_S_SUCCESS:
                _, event, got_atr = states[0]
                is_present = bool(event & scard.SCARD_STATE_PRESENT)
                if is_present == present and (atr is None or bytes(got_atr) == atr):
                    return
                current = event & ~scard.SCARD_STATE_CHANGED
            if time.monotonic() >= deadline:
                raise AssertionError(f"{name}: card {'present' if present else 'absent'} not seen in {timeout} s")


PCSCD_SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "pcscd"


class Pcscd:
    """pcscd for the test session: the one already running, or one started by `.ci/pcscd` (and stopped after)."""

    def __init__(self) -> None:
        self.started = False

    def ensure(self) -> None:
        try:
            list_readers()
        except PcscUnavailable:
            subprocess.run([str(PCSCD_SCRIPT), "start"], check=True)
            self.started = True
        deadline = time.monotonic() + 15
        while not any(r.name == SLOT0 for r in list_readers()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"pcscd runs without the vpcd reader {SLOT0!r}: install vsmartcard-vpcd")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.started:
            subprocess.run([str(PCSCD_SCRIPT), "stop"], check=True)


class InsertedCard:
    """An emulated card served to a vpcd slot from a thread of the test process."""

    def __init__(self, card: Any, reader: str = SLOT0) -> None:
        self.card = card
        self.reader = reader
        self.link = VpcdLink(card, port=PORTS[reader], max_backoff=0.2)
        self.thread: threading.Thread | None = None

    def insert(self) -> "InsertedCard":
        self.thread = threading.Thread(target=self.link.serve_forever, daemon=True)
        self.thread.start()
        wait_reader(self.reader, True, self.card.atr)
        return self

    def remove(self) -> None:
        self.link.stop()
        if self.thread is not None:
            self.thread.join(10)
        wait_reader(self.reader, False)
