"""A card session: the social-security application's operations over one transport.

Reads use the fewest commands the card accepts (spec §2 profile): the whole file by SFI,
then the whole file after SELECT, then item by item, then record by record, falling back
only on the status words that mean "this form is not supported". Nothing is remembered
between cards: each session starts from the first form again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apdu import commands, profile
from apdu.command import Command
from apdu.pin import Pin
from apdu.records import BasicInfo, items_of, parse_basic_info, split_records, usual_file_length
from apdu.status import (
    CardError,
    ClaNotSupported,
    FileNotFound,
    FunctionNotSupported,
    IncorrectP1P2,
    InsNotSupported,
    RecordNotFound,
    raise_for_status,
)

from pinpad.source import SecurePinEntry

from .channel import CardChannel
from .errors import NotSocialSecurityCard
from .transport import Transport

log = logging.getLogger("sscard.session")


class CardSession:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.channel = CardChannel(transport)

    @property
    def atr(self) -> bytes:
        return self.transport.atr

    # --- selection -------------------------------------------------------------------------
    def select_ssse(self) -> None:
        """Select the social-security environment; its FCI is not needed, so none is fetched."""
        try:
            self.channel.call(commands.select_by_name(profile.SSSE_NAME))
        except (FileNotFound, IncorrectP1P2, FunctionNotSupported, InsNotSupported, ClaNotSupported) as exc:
            raise NotSocialSecurityCard(f"the card has no social-security application (SSSE): {exc}") from None

    # --- basic information ---------------------------------------------------------------
    def read_basic_info(self) -> BasicInfo:
        with self.transport.transaction():
            self.select_ssse()
            objects: list[tuple[int, bytes]] = []
            problems: list[str] = []
            for fid, sfi in ((profile.EF05_FID, profile.EF05_SFI), (profile.EF06_FID, profile.EF06_SFI)):
                data = self._read_file(fid, sfi)
                parsed, problem = split_records(data)
                objects += parsed
                if problem:
                    problems.append(f"EF{fid & 0xFF:02X}: {problem}")
        info = parse_basic_info(objects, self.atr)
        info.anomalies[:0] = problems
        return info

    def _read_file(self, fid: int, sfi: int) -> bytes:
        expect = usual_file_length(fid)
        try:
            return self.channel.call(commands.read_file_by_sfi(sfi), expect)
        except CardError as exc:
            self._fall_back_on(exc)
        self.channel.call(commands.select_file(fid))
        forms: list[Callable[[], bytes]] = [
            lambda: self.channel.call(commands.read_current_file(), expect),
            lambda: self._read_by_tags(fid),
        ]
        for read in forms:
            try:
                return read()
            except CardError as exc:
                self._fall_back_on(exc)
        return self._read_by_numbers()

    @staticmethod
    def _fall_back_on(exc: CardError) -> None:
        """Re-raise unless the status word means "this read form is not supported"."""
        if exc.sw not in profile.READ_FALLBACK_SW:
            raise exc
        log.debug("read form refused with %04X; trying the next form", exc.sw)

    def _read_by_tags(self, fid: int) -> bytes:
        out = bytearray()
        for item in items_of(fid):
            try:
                out += self.channel.call(commands.read_record_by_tag(item.tag), 2 + item.length)
            except RecordNotFound:
                continue
        return bytes(out)

    def _read_by_numbers(self) -> bytes:
        out = bytearray()
        for number in range(1, 255):
            try:
                out += self.channel.call(commands.read_record_by_number(number))
            except RecordNotFound:
                break
        return bytes(out)

    # --- PIN -----------------------------------------------------------------------------
    def _send_pin_command(self, command: Command) -> None:
        """Send a PIN-bearing command once (never retried) and wipe its buffer."""
        try:
            response = self.channel.send(command)
        finally:
            commands.wipe(command)
        raise_for_status(response.sw)

    def get_challenge(self, length: int) -> bytes:
        """A fresh challenge; the card decides its length (a wrong guess costs one 6Cxx round trip)."""
        return self.channel.call(commands.get_challenge(length))

    def external_authenticate(self, cryptogram: bytes, factor: bytes) -> None:
        self.channel.call(commands.external_authenticate(profile.CARD_KEY_PUK, cryptogram, factor))

    def send_pin_unblock(self, command: Command) -> None:
        """PIN UNBLOCK (reset or unblock): sent once, never retried."""
        self._send_pin_command(command)

    def verify_pin(self, pin: Pin) -> None:
        """Raises `WrongPin(remaining)` or `PinBlocked`; returns when the card accepted the PIN."""
        with self.transport.transaction():
            self.select_ssse()
            self._send_pin_command(commands.verify(pin))

    def verify_pin_secure(self, pad: SecurePinEntry) -> None:
        """VERIFY through the reader's keypad: the PIN never reaches the host."""
        with self.transport.transaction():
            self.select_ssse()
            raise_for_status(int.from_bytes(pad.verify(commands.verify_template().encode())[-2:], "big"))

    def change_pin_secure(self, pad: SecurePinEntry) -> None:
        with self.transport.transaction():
            self.select_ssse()
            old, new = commands.CHANGE_PIN_OFFSETS
            answer = pad.modify(commands.change_pin_template().encode(), old, new)
            raise_for_status(int.from_bytes(answer[-2:], "big"))

    def change_pin(self, old: Pin, new: Pin) -> None:
        with self.transport.transaction():
            self.select_ssse()
            self._send_pin_command(commands.change_pin(old, new))
