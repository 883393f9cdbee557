"""The social security card as an APDU handler: bytes in, bytes out, never an exception.

Models the chip the spec describes: MF → SSSE (DDF1) → EF05/EF06 record files, the PIN
object with its try counter, T=0 or T=1 answering rules, and the verified state that ends
on reset or reselection. Every state change goes through `persist` before it takes effect
on the answer, so a power cut cannot give back a spent PIN try.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from apdu import profile
from apdu.command import Command
from apdu.commands import pin_unblock_header
from apdu.crypto import MAC_LENGTH, auth_cryptogram, cbc_mac, decrypt, pin_from_block, session_key
from apdu.pin import Pin

from .base import SW_OK, Answer, ApduCard
from .state import CardState, RecordFile

log = logging.getLogger("sscard.emulator")

MF_FID = 0x3F00


@dataclass
class _Session:
    """What a reset forgets: selection, verified and authenticated states, the challenge."""

    in_ssse: bool = False
    current_ef: RecordFile | None = None
    verified: bool = False
    #: The terminal authenticated itself with the PUK: PIN UNBLOCK is allowed until reset.
    puk_authenticated: bool = False
    #: The last GET CHALLENGE answer; good for the next command only.
    challenge: bytes | None = None


def _fci() -> bytes:
    name = profile.SSSE_NAME
    body = bytes((0x84, len(name))) + name + bytes((0xA5, 0x03, 0x88, 0x01, profile.SSSE_DIR_SFI))
    return bytes((0x6F, len(body))) + body


class SocialSecurityCard(ApduCard):
    """One emulated card. `persist` is called with the state whenever it changes."""

    def __init__(self, state: CardState, persist: Callable[[CardState], None] | None = None) -> None:
        super().__init__()
        self.state = state
        self._persist = persist or (lambda _state: None)
        self._session = _Session()
        self._handlers |= {
            0xA4: (frozenset({0x00}), self._select),
            0xB2: (frozenset({0x00}), self._read_record),
            0x20: (frozenset({0x00}), self._verify),
            0x5E: (frozenset({0x80}), self._change_pin),
            0x84: (frozenset({0x00}), self._get_challenge),
            0x82: (frozenset({0x00}), self._external_authenticate),
            0x24: (frozenset({0x84}), self._pin_unblock),
        }
        self._challenge: bytes | None = None

    # --- ApduCard ------------------------------------------------------------------------
    @property
    def atr(self) -> bytes:
        return self.state.atr

    @property
    def protocol(self) -> int:
        return self.state.protocol

    def _reset_session(self) -> None:
        self._session = _Session()

    def _before_command(self) -> None:
        # A challenge serves the very next command, whatever it is, and is then forgotten.
        self._challenge, self._session.challenge = self._session.challenge, None

    def _unsupported(self, feature: str) -> None:
        if not self.state.features.get(feature, True):
            raise Answer(self.state.unsupported_sw)

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
            raise Answer(0x6A86)
        if not self._session.in_ssse:
            raise Answer(0x6A88)

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

    def _save(self, rollback: Callable[[], None]) -> bool:
        """Persist the state; on failure undo the in-memory change so card and file agree."""
        try:
            self._persist(self.state)
            return True
        except Exception:
            rollback()
            log.exception("could not persist the card state; command refused")
            return False

    def _check_pin(self, candidate: bytearray, new: bytearray | None = None) -> int:
        """Spend a try and persist it, then compare; a match restores the counter (and sets `new`)."""
        pin = self.state.pin
        before = pin.tries_left
        pin.tries_left -= 1
        if not self._save(lambda: setattr(pin, "tries_left", before)):
            return 0x6581
        if not pin.matches(candidate):
            self._session.verified = False
            return 0x63C0 | pin.tries_left
        if not self._set_pin(new):
            return 0x6581
        self._session.verified = True
        return SW_OK

    def _set_pin(self, new: bytearray | None) -> bool:
        """Restore the try counter (and set a new PIN), persisted; False when it could not be written."""
        pin = self.state.pin
        saved = (pin.salt, pin.digest, pin.iterations, pin.tries_left)
        pin.tries_left = pin.max_tries
        if new is not None:
            pin.set(new)

        def rollback() -> None:
            pin.salt, pin.digest, pin.iterations, pin.tries_left = saved

        return self._save(rollback)

    # --- PIN maintenance with the PSAM ---------------------------------------------------
    def _get_challenge(self, c: Command) -> tuple[int, bytes]:
        if c.p1 or c.p2:
            return 0x6A86, b""
        if c.data or c.le is None:
            return 0x6700, b""
        challenge = os.urandom(self.state.keys.algorithm.challenge_length)
        self._session.challenge = challenge
        return SW_OK, challenge

    def _external_authenticate(self, c: Command) -> tuple[int, bytes]:
        if c.p1:
            return 0x6A86, b""
        if c.p2 != profile.CARD_KEY_PUK:
            return 0x9403, b""
        if not self._session.in_ssse:
            return 0x6A88, b""
        if c.le is not None or len(c.data) != 16:
            return 0x6700, b""
        keys = self.state.keys
        if keys.puk_tries_left == 0:
            return 0x6983, b""
        if self._challenge is None:
            return 0x6984, b""
        before = keys.puk_tries_left
        keys.puk_tries_left -= 1
        if not self._save(lambda: setattr(keys, "puk_tries_left", before)):
            return 0x6581, b""
        sk = session_key(keys.algorithm, keys.puk, self._challenge)
        expected = auth_cryptogram(keys.algorithm, sk, bytes(c.data[8:]))
        if not hmac.compare_digest(expected, bytes(c.data[:8])):
            self._session.puk_authenticated = False
            return 0x63C0 | min(keys.puk_tries_left, 0x0F), b""
        keys.puk_tries_left = profile.PUK_TRY_LIMIT
        if not self._save(lambda: setattr(keys, "puk_tries_left", before - 1)):
            return 0x6581, b""
        self._session.puk_authenticated = True
        return SW_OK, b""

    def _pin_unblock(self, c: Command) -> tuple[int, bytes]:
        """84 24 00 01 (reset: new PIN from the encrypted block) or 84 24 00 00 (unblock only)."""
        if c.p1 or c.p2 not in (0x00, 0x01):
            return 0x6A86, b""
        if not self._session.in_ssse:
            return 0x6A88, b""
        keys = self.state.keys
        reset = c.p2 == 0x01
        if c.le is not None or len(c.data) != (keys.algorithm.block if reset else 0) + MAC_LENGTH:
            return 0x6700, b""
        if not self._session.puk_authenticated:
            return 0x6982, b""
        if self._challenge is None:
            return 0x6984, b""
        sk = session_key(keys.algorithm, keys.stk, self._challenge)
        body, mac = bytes(c.data[:-MAC_LENGTH]), bytes(c.data[-MAC_LENGTH:])
        expected = cbc_mac(keys.algorithm, sk, pin_unblock_header(reset, len(body)) + body)[:MAC_LENGTH]
        if not hmac.compare_digest(expected, mac):
            return 0x6988, b""
        if not reset:
            return (SW_OK if self._set_pin(None) else 0x6581), b""
        block = bytearray(decrypt(keys.algorithm, sk, body))
        bcd = pin_from_block(keys.algorithm, block)
        block[:] = bytes(len(block))
        if bcd is None:
            return 0x6A80, b""
        try:
            new = _pin_digits(bcd)
        finally:
            bcd[:] = bytes(len(bcd))
        try:
            return (SW_OK if self._set_pin(new) else 0x6581), b""
        finally:
            new[:] = bytes(len(new))


def _pin_digits(bcd: bytes | bytearray) -> bytearray:
    """ASCII digits of a BCD PIN, or 6A80 (no try spent) when a nibble is not a digit."""
    try:
        pin = Pin.from_bcd(bcd)
    except ValueError:
        raise Answer(0x6A80) from None
    try:
        return pin.digits()
    finally:
        pin.wipe()
