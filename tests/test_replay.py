"""Recording a reader's exchanges and replaying them as a card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from apdu.pin import Pin
from terminal import cli
from terminal.cli import main
from terminal.errors import RecordingRefused, ReplayError
from terminal.inprocess import InProcessTransport
from terminal.replay import RecordingTransport, ReplayTransport
from terminal.session import CardSession
from emulator.card import SocialSecurityCard
from tests.conftest import make_state


def test_record_then_replay_gives_the_same_info(tmp_path: Path, runner: CliRunner, protocol: int) -> None:
    card = tmp_path / "card.json"
    rec = tmp_path / "rec.json"
    runner.invoke(main, ["card", "new", str(card), "--protocol", f"T={protocol}", "--name", "赵六"])
    live = runner.invoke(main, ["info", "--reader", f"emu:{card}", "--json", "--record", str(rec)])
    assert live.exit_code == 0
    doc = json.loads(rec.read_text())
    assert set(doc) == {"atr", "exchanges"} and len(doc["exchanges"]) == 3
    assert all(set(e) == {"command", "response"} for e in doc["exchanges"])
    replayed = runner.invoke(main, ["info", "--reader", f"replay:{rec}", "--json"])
    assert replayed.exit_code == 0 and json.loads(replayed.stdout) == json.loads(live.stdout)


def test_replay_answers_in_recorded_order_and_6d00_when_unrecorded(tmp_path: Path) -> None:
    rec = tmp_path / "r.json"
    rec.write_text(json.dumps({"atr": "3B6D00000081544C928684210100000001", "exchanges": [
        {"command": "00200000", "response": "63C5"},
        {"command": "00200000", "response": "63C4"},
    ]}))
    with ReplayTransport(rec) as t:
        assert t.transmit(bytes.fromhex("00200000")) == bytes.fromhex("63C5")
        assert t.transmit(bytes.fromhex("00200000")) == bytes.fromhex("63C4")
        assert t.transmit(bytes.fromhex("00200000")) == bytes.fromhex("63C4")
        assert t.transmit(bytes.fromhex("00B0000000")) == bytes.fromhex("6D00")
        assert t.protocol == 0


@pytest.mark.parametrize("content, message", [
    ("[]", "object with 'atr'"),
    ('{"atr": "zz", "exchanges": []}', "not valid hex"),
    ('{"atr": "3B00", "exchanges": [{"command": "00", "response": "90"}]}', "lacks SW1 SW2"),
    ("{", "cannot read recording"),
])
def test_bad_recordings_are_typed_errors(tmp_path: Path, content: str, message: str) -> None:
    rec = tmp_path / "r.json"
    rec.write_text(content)
    with pytest.raises(ReplayError, match=message):
        ReplayTransport(rec)


def test_replay_of_a_real_card_recording_through_the_cli(tmp_path: Path, runner: CliRunner) -> None:
    missing = runner.invoke(main, ["info", "--reader", f"replay:{tmp_path / 'none.json'}"])
    assert missing.exit_code == cli.EXIT_READER and "no recording" in missing.output


def test_recorder_refuses_pin_bearing_commands(tmp_path: Path) -> None:
    inner = InProcessTransport(SocialSecurityCard(make_state()))
    rec = tmp_path / "r.json"
    with RecordingTransport(inner, rec) as t:
        session = CardSession(t)
        session.read_basic_info()
        with pytest.raises(RecordingRefused):
            session.verify_pin(Pin("123456"))
    doc = json.loads(rec.read_text())
    assert not any(e["command"][2:4] == "20" for e in doc["exchanges"])
    assert "123456" not in rec.read_text()
