"""What every emulated card shares: APDU decoding, CLA/INS dispatch, the T=0/T=1 rules for
response data (61xx + GET RESPONSE, 6Cxx), power and reset, and "never an exception"."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable

from apdu.command import Command
from apdu.errors import MalformedCommand

log = logging.getLogger("sscard.emulator")

SW_OK = 0x9000
Handler = Callable[[Command], tuple[int, bytes]]


class Answer(Exception):
    """Ends a command early with a status word."""

    def __init__(self, sw: int) -> None:
        self.sw = sw


class ApduCard(ABC):
    """A card that is only an APDU handler (vsmartcard's vicc model)."""

    def __init__(self) -> None:
        self._pending: bytes | None = None
        self._handlers: dict[int, tuple[frozenset[int], Handler]] = {0xC0: (frozenset({0x00}), self._get_response)}

    # --- what a card defines ---------------------------------------------------------------
    @property
    @abstractmethod
    def atr(self) -> bytes: ...

    @property
    @abstractmethod
    def protocol(self) -> int: ...

    @abstractmethod
    def _reset_session(self) -> None:
        """Forget everything a reset forgets."""

    def _before_command(self) -> None:
        """Hook run before each command (e.g. to consume a one-command challenge)."""

    # --- power -----------------------------------------------------------------------------
    def power_on(self) -> bytes:
        self._pending = None
        self._reset_session()
        return self.atr

    def reset(self) -> bytes:
        return self.power_on()

    def power_off(self) -> None:
        self._pending = None
        self._reset_session()

    # --- APDU ------------------------------------------------------------------------------
    def execute(self, apdu: bytes) -> bytes:
        """Answer one command APDU. Malformed input gets a status word; a fault gets 6F00."""
        try:
            sw, data = self._execute(bytes(apdu))
        except Exception:  # a card never crashes: report and answer "no precise diagnosis"
            log.exception("internal error while executing a command")
            self._pending = None
            sw, data = 0x6F00, b""
        return data + sw.to_bytes(2, "big")

    def _execute(self, raw: bytes) -> tuple[int, bytes]:
        pending, self._pending = self._pending, None
        self._before_command()
        try:
            command = Command.decode(raw)
        except MalformedCommand:
            return 0x6700, b""
        if command.cla not in (0x00, 0x80, 0x84):
            return 0x6E00, b""
        entry = self._handlers.get(command.ins)
        if entry is None:
            return 0x6D00, b""
        classes, handler = entry
        if command.cla not in classes:
            return 0x6E00, b""
        if command.ins == 0xC0:
            self._pending = pending
        try:
            sw, data = handler(command)
        except Answer as answer:
            return answer.sw, b""
        return self._shape(command, sw, data)

    def _shape(self, command: Command, sw: int, data: bytes) -> tuple[int, bytes]:
        """Apply the transmission protocol's rules for returning response data."""
        if sw != SW_OK or not data or command.ins == 0xC0:
            return sw, data
        if self.protocol == 0:
            if command.case == 2:
                if command.le != len(data):
                    return 0x6C00 | (len(data) & 0xFF), b""
                return sw, data
            self._pending = data
            return 0x6100 | (len(data) & 0xFF), b""
        # T=1: data only when asked for; never silently truncated.
        if command.le is None:
            return sw, b""
        if command.le < len(data):
            return 0x6C00 | (len(data) & 0xFF), b""
        return sw, data

    def _get_response(self, c: Command) -> tuple[int, bytes]:
        pending, self._pending = self._pending, None
        if c.p1 or c.p2:
            return 0x6A86, b""
        if pending is None:
            return 0x6985, b""
        if c.data or c.le is None:
            return 0x6700, b""
        if c.le > len(pending):
            self._pending = pending
            return 0x6C00 | (len(pending) & 0xFF), b""
        rest = pending[c.le :]
        if rest:
            self._pending = rest
            return 0x6100 | (len(rest) & 0xFF), pending[: c.le]
        return SW_OK, pending
