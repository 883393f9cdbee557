"""The social security card as an APDU handler: bytes in, bytes out, never an exception.

Models the chip the spec describes: MF → SSSE (DDF1) → EF05/EF06 record files, the PIN
object with its try counter, T=0 or T=1 answering rules, and the verified state that ends
on reset or reselection. Every state change goes through `persist` before it takes effect
on the answer, so a power cut cannot give back a spent PIN try.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apdu import profile
from apdu.command import Command
from apdu.errors import MalformedCommand
from apdu.pin import Pin

from .state import CardState, RecordFile

log = logging.getLogger("sscard.emulator")

SW_OK = 0x9000
MF_FID = 0x3F00


class _Answer(Exception):
    """Ends a command early with a status word."""

    def __init__(self, sw: int) -> None:
        self.sw = sw


@dataclass
class _Session:
    """What a reset forgets: selection, verified state, T=0 pending response."""

    in_ssse: bool = False
    current_ef: RecordFile | None = None
    verified: bool = False
    pending: bytes | None = None


def _fci() -> bytes:
    name = profile.SSSE_NAME
    body = bytes((0x84, len(name))) + name + bytes((0xA5, 0x03, 0x88, 0x01, profile.SSSE_DIR_SFI))
    return bytes((0x6F, len(body))) + body


class SocialSecurityCard:
    """One emulated card. `persist` is called with the state whenever it changes."""

    def __init__(self, state: CardState, persist: Callable[[CardState], None] | None = None) -> None:
        self.state = state
        self._persist = persist or (lambda _state: None)
        self._session = _Session()
        self._handlers: dict[int, tuple[frozenset[int], Callable[[Command], tuple[int, bytes]]]] = {
            0xA4: (frozenset({0x00}), self._select),
            0xB2: (frozenset({0x00}), self._read_record),
            0x20: (frozenset({0x00}), self._verify),
            0x5E: (frozenset({0x80}), self._change_pin),
            0xC0: (frozenset({0x00}), self._get_response),
        }

    # --- power ---------------------------------------------------------------------------
    @property
    def atr(self) -> bytes:
        return self.state.atr

    def power_on(self) -> bytes:
        self._session = _Session()
        return self.state.atr

    reset = power_on

    def power_off(self) -> None:
        self._session = _Session()

    # --- APDU ----------------------------------------------------------------------------
    def execute(self, apdu: bytes) -> bytes:
        """Answer one command APDU. Malformed input gets a status word; a fault gets 6F00."""
        try:
            sw, data = self._execute(bytes(apdu))
        except Exception:  # a card never crashes: report and answer "no precise diagnosis"
            log.exception("internal error while executing a command")
            self._session.pending = None
            sw, data = 0x6F00, b""
        return data + sw.to_bytes(2, "big")

    def _execute(self, raw: bytes) -> tuple[int, bytes]:
        pending, self._session.pending = self._session.pending, None
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
            self._session.pending = pending
        try:
            sw, data = handler(command)
        except _Answer as answer:
            return answer.sw, b""
        return self._shape(command, sw, data)

    def _shape(self, command: Command, sw: int, data: bytes) -> tuple[int, bytes]:
        """Apply the transmission protocol's rules for returning response data."""
        if sw != SW_OK or not data or command.ins == 0xC0:
            return sw, data
        if self.state.protocol == 0:
            if command.case == 2:
                if command.le != len(data):
                    return 0x6C00 | (len(data) & 0xFF), b""
                return sw, data
            self._session.pending = data
            return 0x6100 | (len(data) & 0xFF), b""
        # T=1: data only when asked for; never silently truncated.
        if command.le is None:
            return sw, b""
        if command.le < len(data):
            return 0x6C00 | (len(data) & 0xFF), b""
        return sw, data

    def _unsupported(self, feature: str) -> None:
        if not self.state.features.get(feature, True):
            raise _Answer(self.state.unsupported_sw)

    # --- SELECT --------------------------------------------------------------------------
    def _select(self, c: Command) -> tuple[int, bytes]:
        if c.p2 not in (0x00, 0x0C) or c.p1 not in (0x00, 0x02, 0x04):
            return 0x6A86, b""
        if not c.data:
            return 0x6700, b""
        s = self._session
        fci = c.p2 == 0x00
        if c.p1 == 0x04:
            if bytes(c.data) != profile.SSSE_NAME:
                return 0x6A82, b""
            self._enter_ssse()
            return SW_OK, _fci() if fci else b""
        if len(c.data) != 2:
            return 0x6700, b""
        fid = int.from_bytes(c.data, "big")
        if fid == MF_FID and c.p1 == 0x00:
            self._session = _Session()
            return SW_OK, b""
        if fid == profile.SSSE_FID and c.p1 == 0x00:
            self._enter_ssse()
            return SW_OK, _fci() if fci else b""
        ef = self.state.file_by_fid(fid) if s.in_ssse else None
        if ef is None:
            return 0x6A82, b""
        self._unsupported("select_ef")
        s.current_ef = ef
        return SW_OK, b""

    def _enter_ssse(self) -> None:
        self._session = _Session(in_ssse=True)

    # --- READ RECORD ---------------------------------------------------------------------
    def _read_record(self, c: Command) -> tuple[int, bytes]:
        if c.data or c.le is None:
            return 0x6700, b""
        sfi, mode = c.p2 >> 3, c.p2 & 0x07
        if sfi == 0x1F or mode not in (0x00, 0x04, 0x05):
            return 0x6A86, b""
        if sfi:
            self._unsupported("read_by_sfi")
            ef = self.state.file_by_sfi(sfi) if self._session.in_ssse else None
            if ef is None:
                return 0x6A82, b""
        else:
            ef = self._session.current_ef
            if ef is None:
                return 0x6986, b""
        if c.p1 == 0:
            return 0x6A86, b""
        if mode == 0x04:
            self._unsupported("read_by_number")
            if c.p1 > len(ef.records):
                return 0x6A83, b""
            data = ef.records[c.p1 - 1]
        elif mode == 0x05:
            self._unsupported("read_all")
            if c.p1 > len(ef.records):
                return 0x6A83, b""
            data = b"".join(ef.records[c.p1 - 1 :])
        else:
            self._unsupported("read_by_tag")
            data = next((r for r in ef.records if r[0] == c.p1), b"")
            if not data:
                return 0x6A83, b""
        if self.state.protocol == 0 and len(data) > 256:
            return 0x6700, b""
        return SW_OK, data

    # --- PIN -----------------------------------------------------------------------------
    def _pin_context(self, c: Command, p1: int) -> None:
        if c.p1 != p1 or c.p2 != 0x00:
            raise _Answer(0x6A86)
        if not self._session.in_ssse:
            raise _Answer(0x6A88)

    def _verify(self, c: Command) -> tuple[int, bytes]:
        self._pin_context(c, 0x00)
        pin = self.state.pin
        if c.case == 1:  # status query: costs no try
            if pin.blocked:
                return 0x6983, b""
            return (SW_OK if self._session.verified else 0x63C0 | pin.tries_left), b""
        if c.le is not None or len(c.data) != 3:
            return 0x6700, b""
        if pin.blocked:
            return 0x6983, b""
        candidate = _pin_digits(c.data)
        try:
            return self._check_pin(candidate), b""
        finally:
            candidate[:] = bytes(len(candidate))

    def _change_pin(self, c: Command) -> tuple[int, bytes]:
        self._pin_context(c, 0x01)
        if c.le is not None or len(c.data) != 7:
            return 0x6700, b""
        if c.data[3] != 0xFF:
            return 0x6A80, b""
        pin = self.state.pin
        if pin.blocked:
            return 0x6983, b""
        old = _pin_digits(c.data[:3])
        new = _pin_digits(c.data[4:])
        try:
            sw = self._check_pin(old, new)
            return sw, b""
        finally:
            old[:] = bytes(len(old))
            new[:] = bytes(len(new))

    def _check_pin(self, candidate: bytearray, new: bytearray | None = None) -> int:
        """Spend a try and persist it, then compare; a match restores the counter (and sets `new`)."""
        pin = self.state.pin
        before = pin.tries_left
        pin.tries_left -= 1
        try:
            self._persist(self.state)
        except Exception:
            pin.tries_left = before
            log.exception("could not persist the PIN try counter; command refused")
            return 0x6581
        if not pin.matches(candidate):
            self._session.verified = False
            return 0x63C0 | pin.tries_left
        saved = (pin.salt, pin.digest, pin.iterations)
        pin.tries_left = pin.max_tries
        if new is not None:
            pin.set(new)
        try:
            self._persist(self.state)
        except Exception:
            pin.tries_left = before - 1
            pin.salt, pin.digest, pin.iterations = saved
            log.exception("could not persist the PIN state after a match; command refused")
            return 0x6581
        self._session.verified = True
        return SW_OK

    # --- GET RESPONSE --------------------------------------------------------------------
    def _get_response(self, c: Command) -> tuple[int, bytes]:
        pending, self._session.pending = self._session.pending, None
        if c.p1 or c.p2:
            return 0x6A86, b""
        if pending is None:
            return 0x6985, b""
        if c.data or c.le is None:
            return 0x6700, b""
        if c.le > len(pending):
            self._session.pending = pending
            return 0x6C00 | (len(pending) & 0xFF), b""
        rest = pending[c.le :]
        if rest:
            self._session.pending = rest
            return 0x6100 | (len(rest) & 0xFF), pending[: c.le]
        return SW_OK, pending


def _pin_digits(bcd: bytes | bytearray) -> bytearray:
    """ASCII digits of a BCD PIN, or 6A80 (no try spent) when a nibble is not a digit."""
    try:
        pin = Pin.from_bcd(bcd)
    except ValueError:
        raise _Answer(0x6A80) from None
    try:
        return pin.digits()
    finally:
        pin.wipe()
