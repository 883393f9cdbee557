"""Clear-text serial PIN pads against a simulator on a pty, driving the emulated card."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from apdu.status import WrongPin
from emulator.card import SocialSecurityCard
from pinpad.serialpad import SerialPinPad, SerialSpec
from pinpad.source import PinEntryCancelled, PinEntryTimeout, PinPadError, PinPadUnplugged
from terminal import cli
from terminal.cli import main
from terminal.inprocess import InProcessTransport
from terminal.service import PinService
from terminal.session import CardSession
from tests.conftest import Logged, make_state
from tests.pinpad_sim import PadSimulator


@pytest.fixture
def pad_factory():
    made: list[tuple[PadSimulator, SerialPinPad]] = []

    def make(script: list[str], protocol: str = "esc", timeout: float = 2.0) -> tuple[PadSimulator, SerialPinPad]:
        sim = PadSimulator(script, nibbles=protocol == "esc-nibble")
        pad = SerialPinPad(SerialSpec.parse(f"{sim.path}?protocol={protocol}&timeout={timeout}"))
        made.append((sim, pad))
        return sim, pad

    yield make
    for sim, pad in made:
        pad.close()
        sim.stop()


def service(**kw) -> tuple[Logged, PinService]:
    card = Logged(SocialSecurityCard(make_state(**kw)))
    transport = InProcessTransport(card)
    transport.connect()
    return card, PinService(CardSession(transport))


@pytest.mark.parametrize("protocol", ["esc", "esc-nibble"])
def test_verify_with_a_serial_pad(pad_factory, protocol: str) -> None:
    sim, pad = pad_factory(["123456"], protocol)
    card, svc = service()
    assert svc.verify(pad).initial_pin is True
    assert sim.received[:2] == ["length 6", "enter"]
    assert card.inner.state.pin.tries_left == 6


def test_change_pin_with_a_serial_pad(pad_factory) -> None:
    sim, pad = pad_factory(["123456", "907214", "907214"])
    card, svc = service()
    svc.change_pin(pad)
    assert [r for r in sim.received if r.startswith("enter")] == ["enter", "enter", "enter again"]
    _, pad2 = pad_factory(["907214"])
    svc.verify(pad2)


def test_wrong_pin_on_the_pad_spends_exactly_one_try(pad_factory) -> None:
    _, pad = pad_factory(["000000"])
    card, svc = service()
    with pytest.raises(WrongPin):
        svc.verify(pad)
    assert card.inner.state.pin.tries_left == 5 and sum(a[1] == 0x20 for a in card.log) == 1


@pytest.mark.parametrize("action, error", [
    ("cancel", PinEntryCancelled), ("silent", PinEntryTimeout), ("junk", PinPadError), ("unplug", PinPadUnplugged),
])
def test_cancel_timeout_garbage_and_unplug_spend_nothing(pad_factory, action: str, error: type) -> None:
    sim, pad = pad_factory([action], timeout=0.5)
    card, svc = service()
    with pytest.raises(error):
        svc.verify(pad)
    assert card.inner.state.pin.tries_left == 6 and not any(a[1] == 0x20 for a in card.log)
    if action in ("cancel", "silent"):
        sim.thread.join(0.2)
        assert "close" in sim.received  # the pad is told to stop waiting


def test_noise_before_the_frame_is_skipped(pad_factory) -> None:
    _, pad = pad_factory(["noise:123456"])
    _, svc = service()
    svc.verify(pad)


@pytest.mark.parametrize("spec, message", [
    ("", "needs a port"), ("/dev/x?protocol=nope", "unknown PIN pad protocol"), ("/dev/x?speed=1", "unknown serial"),
    ("spy:///dev/ttyUSB0", "logs every byte"), ("/dev/x?baud=fast", "numbers"),
])
def test_bad_serial_specs(spec: str, message: str) -> None:
    with pytest.raises(PinPadError, match=message):
        SerialSpec.parse(spec)


def test_missing_device_is_a_clear_error() -> None:
    with pytest.raises(PinPadUnplugged, match="cannot open PIN pad"):
        SerialPinPad(SerialSpec.parse("/dev/does-not-exist"))


def test_cli_needs_explicit_permission_for_a_clear_pad(tmp_path: Path, runner: CliRunner, caplog) -> None:
    card = tmp_path / "c.json"
    runner.invoke(main, ["card", "new", str(card), "--pin", "461937"])
    sim = PadSimulator(["461937", "461937", "235680", "235680"])
    try:
        refused = runner.invoke(main, ["verify", "-r", f"emu:{card}", "--pinpad", f"serial:{sim.path}"])
        assert refused.exit_code == cli.EXIT_USAGE and "--allow-clear-pinpad" in refused.output
        caplog.set_level(logging.DEBUG, logger="sscard")
        ok = runner.invoke(main, ["-v", "verify", "-r", f"emu:{card}", "--pinpad", f"serial:{sim.path}?timeout=3",
                                  "--allow-clear-pinpad"])
        assert ok.exit_code == 0, ok.output
        changed = runner.invoke(main, ["-v", "change-pin", "-r", f"emu:{card}", "--pinpad",
                                       f"serial:{sim.path}?timeout=3", "--allow-clear-pinpad"])
        assert changed.exit_code == 0, changed.output
    finally:
        sim.stop()
    assert "PIN-bearing data bytes redacted" in caplog.text
    for pin in ("461937", "235680", "46 19 37", "23 56 80", "461937".encode().hex()):
        assert pin not in caplog.text and pin not in ok.output + changed.output
