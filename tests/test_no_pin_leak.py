"""The whole flow with the APDU trace on: no PIN, in any form, reaches the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from terminal.cli import main

OLD, NEW, RESET = "975318", "864207", "530846"


def forms(pin: str) -> list[str]:
    bcd = bytes.fromhex(pin)
    return [pin, pin.encode().hex(), pin.encode().hex().upper(), bcd.hex().upper(), bcd.hex(), " ".join(f"{b:02X}" for b in bcd), repr(bcd), str(list(bcd))]


def test_no_pin_digits_in_trace(tmp_path: Path, runner: CliRunner, caplog: pytest.LogCaptureFixture, protocol: int) -> None:
    card = tmp_path / "card.json"
    runner.invoke(main, ["card", "new", str(card), "--pin", OLD, "--protocol", f"T={protocol}"])
    psam = tmp_path / "psam.json"
    runner.invoke(main, ["card", "new-psam", str(psam)])
    audit = tmp_path / "audit.jsonl"
    outlet = ["--psam", f"emu:{psam}", "--operator", "op1", "--audit-log", str(audit)]
    caplog.set_level(logging.DEBUG, logger="sscard")
    outputs = []
    for args, entry in [
        (["-v", "info", "-r", f"emu:{card}"], None),
        (["-v", "verify", "-r", f"emu:{card}"], "000000\n"),
        (["-v", "verify", "-r", f"emu:{card}"], f"{OLD}\n"),
        (["-v", "change-pin", "-r", f"emu:{card}"], f"{OLD}\n{NEW}\n{NEW}\n"),
        (["-v", "change-pin", "-r", f"emu:{card}"], f"{OLD}\n{NEW}\n{NEW}\n"),  # wrong old PIN now
        (["-v", "verify", "-r", f"emu:{card}", "--json"], f"{NEW}\n"),
        (["-v", "reset-pin", "-r", f"emu:{card}", *outlet], f"{RESET}\n{RESET}\n"),
        (["-v", "unblock", "-r", f"emu:{card}", *outlet], None),
        (["-v", "verify", "-r", f"emu:{card}"], f"{RESET}\n"),
    ]:
        result = runner.invoke(main, args, input=entry)
        outputs.append(result.output)
    logs = caplog.text
    assert "PIN-bearing data bytes redacted" in logs  # the trace was really on
    assert "00200000" in logs and "805E0100" in logs
    assert "84240001 <" in logs and "PIN reset" in "".join(outputs) and "PIN verified" in outputs[-1]
    everything = logs + "".join(outputs) + card.read_text() + audit.read_text()
    for pin in (OLD, NEW, RESET):
        for form in forms(pin):
            assert form not in everything, f"PIN form {form!r} leaked"
    # the card number and social security number are only logged masked
    assert "X00000019" not in logs and "210102198101011117" not in logs
    assert "*****0019" in logs
