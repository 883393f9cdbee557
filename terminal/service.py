"""The PIN service every front end calls: card checks, PIN policy, then the card command.

Order matters: the card is read and checked (expired cards are refused) before any PIN is
asked for, and every policy check runs before a PIN-bearing command is sent, so a refusal
never costs the holder a try.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from apdu.pin import Pin
from apdu.records import BasicInfo
from pinpad.source import PinSource

from .errors import CardExpired
from .masking import mask
from .policy import check_new_pin, initial_pin
from .session import CardSession

log = logging.getLogger("sscard.service")


@dataclass(frozen=True)
class VerifyResult:
    info: BasicInfo
    #: The holder still uses the initial PIN and must change it (the rules require it).
    initial_pin: bool


class PinService:
    def __init__(self, session: CardSession, *, today: dt.date | None = None, initial: Pin | None = None) -> None:
        self.session = session
        self.today = today or dt.date.today()
        self.initial = initial or initial_pin()

    def check_card(self) -> BasicInfo:
        """Read the card and refuse one that may not be served."""
        info = self.session.read_basic_info()
        log.info("card %s, holder %s", mask(info.card_number), mask(info.ssn))
        expiry = info.expiry
        if expiry is not None and info.is_expired(self.today):
            raise CardExpired(expiry)
        return info

    def verify(self, source: PinSource) -> VerifyResult:
        with self.session.transport.transaction():
            info = self.check_card()
            with source.read_pin("PIN: ") as pin:
                self.session.verify_pin(pin)
                return VerifyResult(info, pin == self.initial)

    def change_pin(self, source: PinSource) -> BasicInfo:
        with self.session.transport.transaction():
            info = self.check_card()
            with source.read_pin("Current PIN: ") as old:
                with source.read_new_pin() as new:
                    check_new_pin(new, old, self.initial)
                    self.session.change_pin(old, new)
        return info
