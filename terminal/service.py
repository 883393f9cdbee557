"""The PIN service every front end calls: card checks, PIN policy, then the card command.

Order matters: the card is read and checked (expired cards are refused) before any PIN is
asked for, and every policy check runs before a PIN-bearing command is sent, so a refusal
never costs the holder a try.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from apdu.pin import Pin
from apdu.records import BasicInfo
from pinpad.source import PinSource, SecurePinEntry

from apdu.errors import SscardError

from .audit import AuditLog
from .errors import AuditError, CardExpired, PinRefused
from .maintenance import check_psam_fits, reset_pin, unblock_pin
from .masking import mask
from .policy import Actor, check_actor, check_new_pin, initial_pin
from .psam import PsamSession
from .session import CardSession

log = logging.getLogger("sscard.service")


@dataclass(frozen=True)
class VerifyResult:
    info: BasicInfo
    #: The holder still uses the initial PIN and must change it (the rules require it);
    #: None when a secure PIN pad kept the PIN from the host, so nobody here can tell.
    initial_pin: bool | None


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

    def verify(self, source: PinSource | SecurePinEntry) -> VerifyResult:
        with self.session.transport.transaction():
            info = self.check_card()
            if isinstance(source, SecurePinEntry):
                self.session.verify_pin_secure(source)
                return VerifyResult(info, None)
            with source.read_pin("PIN: ") as pin:
                self.session.verify_pin(pin)
                return VerifyResult(info, pin == self.initial)

    def reset_pin(self, source: PinSource | SecurePinEntry, psam: PsamSession, actor: Actor, audit: AuditLog) -> BasicInfo:
        """Outlet business: a new PIN (entered twice, weak PINs refused) that also clears a lock."""
        check_actor(actor)
        if isinstance(source, SecurePinEntry):
            raise PinRefused("reset-pin needs the new PIN for the PSAM to encrypt: use a console or serial PIN pad")
        with self.session.transport.transaction(), psam.transport.transaction():
            info = self.check_card()
            check_psam_fits(self.session, psam, info)
            with source.read_new_pin() as new:
                check_new_pin(new, None, self.initial)
                self._audited("reset-pin", info, psam, actor, audit, lambda: reset_pin(self.session, psam, info, new))
        return info

    def unblock(self, psam: PsamSession, actor: Actor, audit: AuditLog) -> BasicInfo:
        """Outlet business: clear the 6-strike lock and keep the PIN."""
        check_actor(actor)
        with self.session.transport.transaction(), psam.transport.transaction():
            info = self.check_card()
            self._audited("unblock", info, psam, actor, audit, lambda: unblock_pin(self.session, psam, info))
        return info

    def _audited(self, operation: str, info: BasicInfo, psam: PsamSession, actor: Actor, audit: AuditLog,
                 run: Callable[[], None]) -> None:
        """Record the attempt first (no record, no card command), then the outcome."""
        base = {
            "operation": operation,
            "operator": actor.operator,
            "agent": {"id": actor.agent_id, "relation": actor.agent_relation} if actor.agent_id else None,
            "reader": self.session.transport.name,
            "psam": psam.transport.name,
            "card_number": mask(info.card_number),
            "ssn": mask(info.ssn),
            "region": info.region,
        }
        try:
            audit.append({**base, "outcome": "started"})
        except AuditError as exc:
            raise AuditError(f"{exc}; nothing was sent to the card") from None
        try:
            run()
        except SscardError as exc:
            audit.append({**base, "outcome": "failed", "error": f"{type(exc).__name__}: {exc}"})
            raise
        try:
            audit.append({**base, "outcome": "success"})
        except AuditError as exc:
            raise AuditError(f"the card did the {operation}, but its audit record could not be written: {exc}") from None
        log.info("%s done for card %s by operator %s", operation, mask(info.card_number), actor.operator)

    def change_pin(self, source: PinSource | SecurePinEntry) -> BasicInfo:
        """Change the PIN. With a secure PIN pad the reader checks the two new entries; the host,
        which never sees the digits, cannot apply the weak-PIN rules (the pad's own rules apply)."""
        with self.session.transport.transaction():
            info = self.check_card()
            if isinstance(source, SecurePinEntry):
                self.session.change_pin_secure(source)
                return info
            with source.read_pin("Current PIN: ") as old:
                with source.read_new_pin() as new:
                    check_new_pin(new, old, self.initial)
                    self.session.change_pin(old, new)
        return info
