"""End to end through the `sscard` command line against emulated cards (T=0 and T=1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator import store
from terminal import cli
from terminal.cli import main
from tests.conftest import TODAY


def run(runner: CliRunner, *args: str, input: str | None = None):
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def card(tmp_path: Path, runner: CliRunner, protocol: int) -> Path:
    path = tmp_path / "card.json"
    result = run(runner, "card", "new", str(path), "--protocol", f"T={protocol}")
    assert result.exit_code == 0, result.output
    return path


def test_card_new_with_every_field(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.json"
    result = run(
        runner, "card", "new", str(path), "--name", "李四", "--ssn", "11010519491231002X", "--card-no", "A00000003",
        "--region", "210200", "--category", "4", "--issued", "20200101", "--expires", "20300101",
        "--pin", "246813", "--max-tries", "8", "--protocol", "T=1",
    )
    assert result.exit_code == 0, result.output
    info = json.loads(run(runner, "info", "--reader", f"emu:{path}", "--json").stdout)
    assert info["name"] == "李四" and info["ssn"] == "11010519491231002X" and info["card_number"] == "A00000003"
    assert info["region"] == "210200" and info["card_type"] == "4" and info["sex"] == "2"
    assert info["issue_date"] == "20200101" and info["expiry_date"] == "20300101" and info["birth_date"] == "19491231"
    assert info["atr"].startswith("3BED") and info["anomalies"] == []
    assert store.load(path).pin.tries_left == 8


@pytest.mark.parametrize("args, message", [
    (["--card-no", "X00000018"], "check character"),
    (["--ssn", "210102198101011116"], "ID number"),
    (["--region", "21"], "6-digit"),
    (["--issued", "20201301"], "YYYYMMDD"),
    (["--pin", "12345"], "6 decimal digits"),
    (["--name", "😀"], "GBK"),
])
def test_card_new_refuses_invalid_fields(tmp_path: Path, runner: CliRunner, args: list, message: str) -> None:
    result = runner.invoke(main, ["card", "new", str(tmp_path / "c.json"), *args])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "c.json").exists()


def test_card_new_does_not_overwrite(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.json"
    run(runner, "card", "new", str(path))
    assert runner.invoke(main, ["card", "new", str(path)]).exit_code == 2
    assert run(runner, "card", "new", str(path), "--force").exit_code == 0


def test_info_text_json_and_bas(card: Path, runner: CliRunner) -> None:
    text = run(runner, "info", "--reader", f"emu:{card}").output
    assert "张三" in text and "X00000019" in text and "EXPIRED" not in text
    doc = json.loads(run(runner, "info", "--reader", f"emu:{card}", "--json").stdout)
    assert sorted(doc) == sorted([
        "card_number", "ssn", "name", "sex", "sex_text", "nation", "birth_date", "birthplace", "region", "card_type",
        "card_type_text", "spec_version", "issue_date", "expiry_date", "expired", "card_id", "init_org", "atr", "anomalies",
    ])
    bas = run(runner, "info", "--reader", f"emu:{card}", "--format", "bas").output.strip()
    fields = bas.split("|")
    assert len(fields) == 12 and fields[-1] == "" and bas.endswith("|")
    assert fields[:3] == ["210100", "210102198101011117", "X00000019"]
    assert len(fields[3]) == 32 and fields[3] == doc["card_id"] and fields[4] == "张三"
    assert fields[5] == "0081544C928684210100000001" and fields[6] == "2.00"
    assert fields[7] == TODAY.strftime("%Y%m%d")


def test_expired_card_is_reported_and_refused_for_pin_service(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "old.json"
    run(runner, "card", "new", str(path), "--issued", "20100101", "--expires", "20200101")
    result = run(runner, "info", "--reader", f"emu:{path}")
    assert "20200101" in result.output and "expired, replace the card" in result.output
    assert json.loads(run(runner, "info", "--reader", f"emu:{path}", "--json").stdout)["expired"] is True
    result = runner.invoke(main, ["verify", "--reader", f"emu:{path}"], input="123456\n")
    assert result.exit_code == cli.EXIT_CARD_REFUSED and "expired, replace the card" in result.output
    assert store.load(path).pin.tries_left == 6


def test_odd_field_values_are_shown_and_flagged(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "field.json"
    run(runner, "card", "new", str(path))
    state = store.load(path)
    ef05 = state.file_by_sfi(5).records
    ef05[2] = bytes.fromhex("0304") + b"2.0\x00"
    ef05[4] = bytes.fromhex("0504") + b"2012"
    ef05[5] = bytes.fromhex("0604") + b"2022"
    store.save(path, state)
    result = run(runner, "info", "--reader", f"emu:{path}")
    assert result.exit_code == 0
    assert "2012" in result.output and "2022" in result.output and "warning" in result.output
    bas = run(runner, "info", "--reader", f"emu:{path}", "--format", "bas").output
    assert "|2.0|2012|2022|" in bas


def test_verify_correct_wrong_and_initial_pin_notice(card: Path, runner: CliRunner) -> None:
    ok = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="123456\n")
    assert ok.exit_code == 0 and "PIN verified" in ok.output and "change it" in ok.output
    wrong = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="111111\n")
    assert wrong.exit_code == cli.EXIT_WRONG_PIN and "wrong PIN, 5 tries left" in wrong.output
    doc = json.loads(runner.invoke(main, ["verify", "--reader", f"emu:{card}", "--json"], input="111111\n").stdout)
    assert doc["result"] == "wrong_pin" and doc["tries_left"] == 4


def test_six_wrong_pins_across_runs_lock_the_card(card: Path, runner: CliRunner) -> None:
    for left in (5, 4, 3, 2, 1):
        result = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="000000\n")
        assert result.exit_code == cli.EXIT_WRONG_PIN and f"{left} tr" in result.output
    result = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="000000\n")
    assert result.exit_code == cli.EXIT_WRONG_PIN and "blocked" in result.output
    result = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="123456\n")
    assert result.exit_code == cli.EXIT_PIN_BLOCKED and "PIN blocked" in result.output
    assert store.load(card).pin.tries_left == 0


def test_correct_pin_before_the_sixth_resets_the_counter(card: Path, runner: CliRunner) -> None:
    for _ in range(5):
        runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="000000\n")
    assert store.load(card).pin.tries_left == 1
    assert runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="123456\n").exit_code == 0
    assert store.load(card).pin.tries_left == 6
    result = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="000000\n")
    assert "5 tries left" in result.output


def test_change_pin(card: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["change-pin", "--reader", f"emu:{card}"], input="123456\n270419\n270419\n")
    assert result.exit_code == 0 and "PIN changed" in result.output
    ok = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="270419\n")
    assert ok.exit_code == 0 and "change it" not in ok.output
    assert runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input="123456\n").exit_code == cli.EXIT_WRONG_PIN


def test_change_pin_with_wrong_old_pin_spends_a_try(card: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["change-pin", "--reader", f"emu:{card}"], input="999999\n270419\n270419\n")
    assert result.exit_code == cli.EXIT_WRONG_PIN and "5 tries left" in result.output
    assert store.load(card).pin.tries_left == 5


@pytest.mark.parametrize("new, reason", [
    ("111111", "same"), ("123456", "ascending"), ("345678", "ascending"), ("654321", "descending"),
    ("987654", "descending"), ("246810", None),
])
def test_weak_new_pins_are_refused_before_the_card(tmp_path: Path, runner: CliRunner, new: str, reason: str | None) -> None:
    path = tmp_path / "c.json"
    run(runner, "card", "new", str(path), "--pin", "135790")
    before = path.read_bytes()
    result = runner.invoke(main, ["change-pin", "--reader", f"emu:{path}"], input=f"135790\n{new}\n{new}\n")
    if reason is None:
        assert result.exit_code == 0
        return
    assert result.exit_code == cli.EXIT_PIN_REFUSED and reason in result.output
    assert path.read_bytes() == before  # nothing reached the card


def test_new_pin_equal_to_old_or_initial_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "c.json"
    run(runner, "card", "new", str(path), "--pin", "135790")
    same = runner.invoke(main, ["change-pin", "--reader", f"emu:{path}"], input="135790\n135790\n135790\n")
    assert same.exit_code == cli.EXIT_PIN_REFUSED and "same as the current PIN" in same.output
    os.environ["SSCARD_INITIAL_PIN"] = "112233"
    try:
        initial = runner.invoke(main, ["change-pin", "--reader", f"emu:{path}"], input="135790\n112233\n112233\n")
    finally:
        del os.environ["SSCARD_INITIAL_PIN"]
    assert initial.exit_code == cli.EXIT_PIN_REFUSED and "initial PIN" in initial.output
    assert store.load(path).pin.tries_left == 6


@pytest.mark.parametrize("entry, message", [
    ("12345\n", "6 decimal digits"), ("abcdef\n", "6 decimal digits"), ("", "cancelled"),
])
def test_bad_pin_entry_spends_nothing(card: Path, runner: CliRunner, entry: str, message: str) -> None:
    before = card.read_bytes()
    result = runner.invoke(main, ["verify", "--reader", f"emu:{card}"], input=entry)
    assert result.exit_code == cli.EXIT_PIN_REFUSED and message in result.output
    assert card.read_bytes() == before


def test_new_pin_entries_that_differ(card: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["change-pin", "--reader", f"emu:{card}"], input="123456\n270419\n270418\n")
    assert result.exit_code == cli.EXIT_PIN_REFUSED and "differ" in result.output
    assert store.load(card).pin.tries_left == 6


def test_pin_is_not_accepted_as_an_argument(card: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["verify", "--reader", f"emu:{card}", "--pin", "123456"])
    assert result.exit_code == 2


@pytest.mark.parametrize("content, message", [("{not json", "not valid JSON"), ('{"format": "sscard.emulated-card", "version": 7}', "version 7")])
def test_corrupt_state_file_is_a_reader_error(tmp_path: Path, runner: CliRunner, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(main, ["verify", "--reader", f"emu:{path}"], input="123456\n")
    assert result.exit_code == cli.EXIT_READER and message in result.output
    assert path.read_text() == content


def test_unknown_reader(runner: CliRunner, pcscd) -> None:
    result = runner.invoke(main, ["info", "--reader", "nothing:here"])
    assert result.exit_code == cli.EXIT_READER and "emu:STATE.json" in result.output


def test_help_documents_exit_codes(runner: CliRunner) -> None:
    out = run(runner, "--help").output
    for code in range(0, 11):
        assert f"  {code}  " in out


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    sscard = Path(sys.executable).with_name("sscard")
    path = tmp_path / "p.json"
    subprocess.run([sscard, "card", "new", str(path)], check=True, capture_output=True)
    wrong = subprocess.run([sscard, "verify", "-r", f"emu:{path}"], input="000000\n", capture_output=True, text=True)
    assert wrong.returncode == cli.EXIT_WRONG_PIN and "5 tries left" in wrong.stderr
    ok = subprocess.run([sscard, "verify", "-r", f"emu:{path}"], input="123456\n", capture_output=True, text=True)
    assert ok.returncode == 0 and "PIN verified" in ok.stdout
