"""Shared fixtures: personalised emulated cards, in-process transports, the CLI runner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from hypothesis import settings

from apdu.pin import Pin
from emulator import store
from emulator.card import SocialSecurityCard
from emulator.personalise import Holder, personalise
from emulator.state import CardState
from terminal.inprocess import InProcessTransport

TODAY = dt.date.today()

# Property tests assert behaviour, not speed: a loaded 2-core CI machine must not make them flaky.
settings.register_profile("sscard", deadline=None)
settings.load_profile("sscard")


def make_state(protocol: int = 0, pin: str = "123456", max_tries: int = 6, keyset_name: str | None = None,
               **holder: Any) -> CardState:
    with Pin(pin) as p:
        return personalise(Holder(**holder), p, max_tries=max_tries, protocol=protocol, today=TODAY,
                           keyset_name=keyset_name)


class Logged:
    """Wraps a card and logs every APDU it executes (the card's own view of the traffic)."""

    def __init__(self, card, hook=None) -> None:
        self.inner = card
        self.log: list[bytes] = []
        self.hook = hook

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def reset(self) -> bytes:
        return self.inner.reset()

    def execute(self, apdu: bytes) -> bytes:
        self.log.append(bytes(apdu))
        answer = self.inner.execute(apdu)
        if self.hook:
            self.hook(apdu)
        return answer


@pytest.fixture(params=[0, 1], ids=["T=0", "T=1"])
def protocol(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture
def state_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a personalised card to a state file and return its path."""

    def make(name: str = "card.json", **kwargs: Any) -> Path:
        path = tmp_path / name
        store.save(path, make_state(**kwargs))
        return path

    return make


@pytest.fixture
def card_factory() -> Callable[..., SocialSecurityCard]:
    def make(**kwargs: Any) -> SocialSecurityCard:
        card = SocialSecurityCard(make_state(**kwargs))
        card.power_on()
        return card

    return make


@pytest.fixture
def transport_factory() -> Callable[..., InProcessTransport]:
    def make(**kwargs: Any) -> InProcessTransport:
        transport = InProcessTransport(SocialSecurityCard(make_state(**kwargs)))
        transport.connect()
        return transport

    return make


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# --- the real PC/SC stack ------------------------------------------------------------------
@pytest.fixture(scope="session")
def pcscd():
    from tests.pcsc_stack import Pcscd

    daemon = Pcscd()
    daemon.ensure()
    yield daemon
    daemon.stop()


@pytest.fixture
def vpcd_card(pcscd, tmp_path: Path):
    """Insert an emulated card (persisted to a state file) into `Virtual PCD 00 00`."""
    from emulator.store import FileStore
    from tests.pcsc_stack import InsertedCard

    inserted: list[InsertedCard] = []

    def insert(path: Path | None = None, reader: str = "Virtual PCD 00 00", wrap=None, **kwargs: Any) -> InsertedCard:
        if path is None:
            path = tmp_path / f"card{len(inserted)}.json"
            store.save(path, make_state(**kwargs))
        file_store = FileStore(path)
        card = SocialSecurityCard(file_store.load(), file_store)
        slot = InsertedCard(wrap(card) if wrap else card, reader)
        slot.path = path  # type: ignore[attr-defined]
        inserted.append(slot.insert())
        return slot

    yield insert
    for slot in inserted:
        slot.remove()
