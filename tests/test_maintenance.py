"""PIN reset and unblock with the PSAM, in-process: flows, refusals, audit, hygiene."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from apdu import commands
from apdu.pin import Pin
from apdu.status import WrongPin, MacIncorrect, ReferencedDataInvalid, SecurityStatusNotSatisfied
from emulator.card import SocialSecurityCard
from emulator.psam import Psam, PsamKey, new_psam
from pinpad.source import PinSource
from terminal import cli
from terminal.audit import AuditLog
from terminal.cli import main
from terminal.errors import (
    AuditError,
    CardRemoved,
    PolicyError,
    PsamAlgorithmNotSupported,
    PsamKeysDoNotFit,
    WeakPin,
)
from terminal.inprocess import InProcessTransport
from terminal.maintenance import reset_pin, unblock_pin
from terminal.policy import Actor
from terminal.psam import PsamSession
from terminal.service import PinService
from terminal.session import CardSession
from tests.conftest import Logged, make_state

KEYSETS = ["test-3des", "test-sm4"]


class Scripted(PinSource):
    def __init__(self, *pins: str) -> None:
        self.pins = list(pins)

    def read_pin(self, prompt: str) -> Pin:
        return Pin(self.pins.pop(0))


def blocked_card(keyset_name: str, protocol: int = 0, **kw) -> Logged:
    card = Logged(SocialSecurityCard(make_state(protocol=protocol, keyset_name=keyset_name, **kw)))
    t = InProcessTransport(card)
    t.connect()
    session = CardSession(t)
    for _ in range(6):
        with pytest.raises(WrongPin):
            session.verify_pin(Pin("000000"))
    assert card.inner.state.pin.tries_left == 0
    card.log.clear()
    return card


def sessions(card, psam) -> tuple[CardSession, PsamSession]:
    ct, pt = InProcessTransport(card), InProcessTransport(psam)
    ct.connect()
    pt.connect()
    return CardSession(ct), PsamSession(pt)


@pytest.mark.parametrize("keyset_name", KEYSETS)
def test_unblock_keeps_the_pin(keyset_name: str, protocol: int) -> None:
    card = blocked_card(keyset_name, protocol)
    session, psam = sessions(card, Psam(new_psam(keyset_name)))
    unblock_pin(session, psam, session.read_basic_info())
    assert card.inner.state.pin.tries_left == 6
    session.verify_pin(Pin("123456"))
    unblock = [a for a in card.log if a[1] == 0x24]
    assert len(unblock) == 1 and unblock[0][:5] == bytes.fromhex("8424000004")


@pytest.mark.parametrize("keyset_name", KEYSETS)
def test_reset_sets_a_new_pin_and_clears_the_lock(keyset_name: str, protocol: int) -> None:
    card = blocked_card(keyset_name, protocol)
    session, psam = sessions(card, Psam(new_psam(keyset_name)))
    reset_pin(session, psam, session.read_basic_info(), Pin("481620"))
    assert card.inner.state.pin.tries_left == 6
    session.verify_pin(Pin("481620"))
    with pytest.raises(WrongPin):
        session.verify_pin(Pin("123456"))
    (reset,) = [a for a in card.log if a[1] == 0x24]
    block = 8 if keyset_name == "test-3des" else 16
    assert reset[:5] == bytes([0x84, 0x24, 0x00, 0x01, block + 4])
    assert bytes.fromhex("481620") not in reset  # the PIN travels encrypted


@pytest.mark.parametrize("region", ["210200", "420100", "110000", "650100"])
def test_cards_of_other_cities_and_provinces_are_served(region: str) -> None:
    card = blocked_card("test-3des", region=region)
    session, psam = sessions(card, Psam(new_psam("test-3des")))
    reset_pin(session, psam, session.read_basic_info(), Pin("481620"))
    session.verify_pin(Pin("481620"))


def test_wrong_psam_algorithm_fails_clearly_and_changes_nothing() -> None:
    card = blocked_card("test-3des")
    before = card.inner.state.to_json()
    session, psam = sessions(card, Psam(new_psam("test-sm4")))
    with pytest.raises(PsamAlgorithmNotSupported, match="−2202"):
        reset_pin(session, psam, session.read_basic_info(), Pin("481620"))
    assert card.inner.state.to_json() == before
    assert not any(a[1] in (0x82, 0x24) for a in card.log)


def test_psam_with_other_keys_is_refused_by_the_card() -> None:
    card = blocked_card("test-sm4")
    state = new_psam("test-sm4")
    state.keys = {kid: PsamKey(k.usage, bytes(16)) for kid, k in state.keys.items()}
    session, psam = sessions(card, Psam(state))
    with pytest.raises(PsamKeysDoNotFit, match="14 PUK tries left"):
        unblock_pin(session, psam, session.read_basic_info())
    assert card.inner.state.pin.tries_left == 0 and card.inner.state.keys.puk_tries_left == 14
    assert not any(a[1] == 0x24 for a in card.log)


def _authenticated(card: Logged) -> CardSession:
    session, psam = sessions(card, Psam(new_psam("test-3des")))
    info = session.read_basic_info()
    from terminal.maintenance import _authenticate

    _authenticate(session, psam, info)
    return session


def test_wrong_mac_is_refused_without_change() -> None:
    card = blocked_card("test-3des")
    session = _authenticated(card)
    session.get_challenge(8)
    before = card.inner.state.to_json()
    with pytest.raises(MacIncorrect):
        session.send_pin_unblock(commands.pin_unblock(b"\x00\x00\x00\x00"))
    assert card.inner.state.to_json() == before


def test_stale_challenge_is_refused() -> None:
    card = blocked_card("test-3des")
    session = _authenticated(card)
    session.get_challenge(8)
    session.channel.call(commands.read_file_by_sfi(5), 64)  # any other command: the challenge is forgotten
    with pytest.raises(ReferencedDataInvalid):
        session.send_pin_unblock(commands.pin_unblock(b"\x00\x00\x00\x00"))
    assert card.inner.state.pin.tries_left == 0


def test_unblock_needs_external_authentication() -> None:
    card = blocked_card("test-3des")
    t = InProcessTransport(card)
    t.connect()
    session = CardSession(t)
    session.select_ssse()
    session.get_challenge(8)
    with pytest.raises(SecurityStatusNotSatisfied):
        session.send_pin_unblock(commands.pin_unblock(b"\x00\x00\x00\x00"))


class PulledAfter(InProcessTransport):
    """A PSAM that is pulled out after `n` commands."""

    def __init__(self, card, n: int) -> None:
        super().__init__(card, "psam reader")
        self.n = n

    def transmit(self, apdu: bytes) -> bytes:
        if self.n == 0:
            raise CardRemoved("the card was removed from reader 'psam reader' during a command")
        self.n -= 1
        return super().transmit(apdu)


@pytest.mark.parametrize("after", [0, 3, 5, 8])
def test_psam_removed_mid_flow_leaves_the_card_as_it_was(tmp_path: Path, after: int) -> None:
    card = blocked_card("test-3des")
    ct = InProcessTransport(card, "card reader")
    ct.connect()
    pt = PulledAfter(Psam(new_psam("test-3des")), after)
    pt.connect()
    audit = AuditLog(tmp_path / "audit.jsonl")
    service = PinService(CardSession(ct))
    with pytest.raises(CardRemoved):
        service.unblock(PsamSession(pt), Actor("op1"), audit)
    assert card.inner.state.pin.tries_left == 0
    assert not any(a[1] == 0x24 for a in card.log)
    outcomes = [r["outcome"] for r in audit.records()]
    assert outcomes in (["started", "failed"], [])


def test_service_audits_reset_and_masks_numbers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="sscard")
    card = blocked_card("test-sm4")
    session, psam = sessions(card, Psam(new_psam("test-sm4")))
    audit = AuditLog(tmp_path / "trail" / "audit.jsonl")
    PinService(session).reset_pin(Scripted("592017", "592017"), psam, Actor("op-42", "11010519491231002X", "guardian"), audit)
    records = audit.records()
    assert [r["outcome"] for r in records] == ["started", "success"]
    r = records[-1]
    assert r["operation"] == "reset-pin" and r["operator"] == "op-42"
    assert r["agent"] == {"id": "11010519491231002X", "relation": "guardian"}
    assert r["card_number"] == "*****0019" and r["ssn"] == "**************1117"
    assert set(r) >= {"time", "reader", "psam", "region"}
    assert stat.S_IMODE((tmp_path / "trail" / "audit.jsonl").stat().st_mode) == 0o600
    assert "80FA0000 <16 PIN-bearing data bytes redacted>" in caplog.text  # the trace was on
    text = (tmp_path / "trail" / "audit.jsonl").read_text() + caplog.text
    for form in ("592017", "592017".encode().hex(), "59 20 17", "592017".upper()):
        assert form not in text
    assert "X00000019" not in text and "210102198101011117" not in text


def test_weak_new_pin_is_refused_before_the_card(tmp_path: Path) -> None:
    card = blocked_card("test-3des")
    session, psam = sessions(card, Psam(new_psam("test-3des")))
    audit = AuditLog(tmp_path / "a.jsonl")
    with pytest.raises(WeakPin):
        PinService(session).reset_pin(Scripted("123456", "123456"), psam, Actor("op"), audit)
    assert not any(a[1] in (0x82, 0x24) for a in card.log) and audit.records() == []


def test_operator_is_mandatory_and_agents_are_complete(tmp_path: Path) -> None:
    card = blocked_card("test-3des")
    session, psam = sessions(card, Psam(new_psam("test-3des")))
    audit = AuditLog(tmp_path / "a.jsonl")
    for actor in (Actor(""), Actor("  "), Actor("op", "1101", None), Actor("op", None, "guardian"), Actor("op", "x", "cousin")):
        with pytest.raises(PolicyError):
            PinService(session).unblock(psam, actor, audit)
    assert card.log == [] and audit.records() == []


def test_audit_write_failure_aborts_before_the_card_is_touched(tmp_path: Path) -> None:
    card = blocked_card("test-3des")
    session, psam = sessions(card, Psam(new_psam("test-3des")))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(AuditError, match="cannot write the audit trail.*nothing was sent to the card"):
        PinService(session).unblock(psam, Actor("op"), AuditLog(blocker / "audit.jsonl"))
    assert card.inner.state.pin.tries_left == 0
    assert not any(a[1] in (0x82, 0x24) for a in card.log)


def test_audit_since_filters_by_day(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"time": "2025-01-02T10:00:00+00:00", "operation": "unblock", "outcome": "success"}) + "\n"
        + json.dumps({"time": "2026-03-04T10:00:00+00:00", "operation": "reset-pin", "outcome": "success"}) + "\n"
    )
    import datetime as dt

    assert [r["operation"] for r in AuditLog(path).records(dt.date(2026, 1, 1))] == ["reset-pin"]
    path.write_text("{broken\n")
    with pytest.raises(AuditError, match="damaged"):
        AuditLog(path).records()


# --- the command line ------------------------------------------------------------------------
def test_cli_reset_unblock_and_audit(tmp_path: Path, runner: CliRunner) -> None:
    card, psam, trail = tmp_path / "c.json", tmp_path / "p.json", tmp_path / "audit.jsonl"
    assert runner.invoke(main, ["card", "new", str(card), "--keyset", "test-sm4", "--region", "420100"]).exit_code == 0
    assert runner.invoke(main, ["card", "new-psam", str(psam), "--keyset", "test-sm4"]).exit_code == 0
    for _ in range(6):
        runner.invoke(main, ["verify", "-r", f"emu:{card}"], input="000000\n")
    common = ["-r", f"emu:{card}", "--psam", f"emu:{psam}", "--audit-log", str(trail)]
    missing = runner.invoke(main, ["unblock", *common])
    assert missing.exit_code == 2 and "--operator" in missing.output
    result = runner.invoke(main, ["unblock", *common, "--operator", "op9"])
    assert result.exit_code == 0 and "unblocked" in result.output
    assert runner.invoke(main, ["verify", "-r", f"emu:{card}"], input="123456\n").exit_code == 0
    result = runner.invoke(main, ["reset-pin", *common, "--operator", "op9", "--agent-id", "A1234567",
                                  "--agent-relation", "relative", "--json"], input="730195\n730195\n")
    assert result.exit_code == 0 and json.loads(result.stdout) == {"result": "reset"}
    assert runner.invoke(main, ["verify", "-r", f"emu:{card}"], input="730195\n").exit_code == 0
    records = json.loads(runner.invoke(main, ["audit", "--audit-log", str(trail), "--json"]).stdout)
    assert [(r["operation"], r["outcome"]) for r in records] == [
        ("unblock", "started"), ("unblock", "success"), ("reset-pin", "started"), ("reset-pin", "success")]
    assert records[-1]["agent"] == {"id": "A1234567", "relation": "relative"} and records[-1]["region"] == "420100"
    text = runner.invoke(main, ["audit", "--audit-log", str(trail), "--since", "2000-01-01"]).stdout
    assert "reset-pin success card *****0019" in text and "730195" not in trail.read_text()


def test_cli_wrong_psam_keyset_exit_code(tmp_path: Path, runner: CliRunner) -> None:
    card, psam = tmp_path / "c.json", tmp_path / "p.json"
    runner.invoke(main, ["card", "new", str(card)])
    runner.invoke(main, ["card", "new-psam", str(psam), "--keyset", "test-sm4"])
    before = card.read_bytes()
    result = runner.invoke(main, ["reset-pin", "-r", f"emu:{card}", "--psam", f"emu:{psam}", "--operator", "o",
                                  "--audit-log", str(tmp_path / "a.jsonl")], input="730195\n730195\n")
    assert result.exit_code == cli.EXIT_PSAM and "PSAM algorithm not supported" in result.output
    assert "New PIN" not in result.output  # refused before anyone typed a PIN
    assert card.read_bytes() == before


def test_psam_emulator_commands() -> None:
    psam = Psam(new_psam("test-3des", terminal_number="210100000042"))
    psam.power_on()
    sw = lambda a: a[-2:].hex().upper()  # noqa: E731
    assert sw(psam.execute(bytes.fromhex("801A680100"))) == "6985"  # no application selected
    assert sw(psam.execute(bytes.fromhex("00A4000002DF01"))) == "9000"
    assert psam.execute(bytes.fromhex("00B0960006")) == bytes.fromhex("2101000000429000")
    assert psam.execute(bytes.fromhex("00B095000C"))[-4:] == bytes.fromhex("01019000")
    assert sw(psam.execute(bytes.fromhex("80FA000008") + bytes(8))) == "6985"  # no key loaded
    assert sw(psam.execute(bytes.fromhex("801A480118") + bytes(24))) == "9403"  # usage does not match
    assert sw(psam.execute(bytes.fromhex("801A680110") + bytes(16))) == "6700"  # neither 3 factors nor + challenge
    assert sw(psam.execute(bytes.fromhex("801A680118") + bytes(24))) == "9000"
    assert sw(psam.execute(bytes.fromhex("80FA000008") + bytes(8))) == "6108"
    assert len(psam.execute(bytes.fromhex("00C0000008"))) == 10
    assert sw(psam.execute(bytes.fromhex("80FA000007") + bytes(7))) == "6700"  # not whole blocks
