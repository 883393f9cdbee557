"""The console PIN source: no echo on a terminal, one line per PIN from a pipe, Ctrl-C cancels."""

from __future__ import annotations

import io
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apdu.errors import InvalidPinFormat
from emulator import store
from pinpad.console import ConsolePinSource
from pinpad.source import PinEntryCancelled
from terminal import cli
from tests.conftest import make_state

SSCARD = str(Path(sys.executable).with_name("sscard"))


class Interrupting(io.StringIO):
    def isatty(self) -> bool:
        return False

    def readline(self, *args: object) -> str:
        raise KeyboardInterrupt


def test_piped_lines_and_checks() -> None:
    source = ConsolePinSource(io.StringIO("123456\n12345\n"), io.StringIO())
    with source.read_pin("PIN: ") as pin:
        assert bytes(pin.bcd()) == bytes.fromhex("123456")
    with pytest.raises(InvalidPinFormat):
        source.read_pin("PIN: ")
    with pytest.raises(PinEntryCancelled):
        source.read_pin("PIN: ")  # end of input


def test_ctrl_c_cancels_cleanly() -> None:
    with pytest.raises(PinEntryCancelled):
        ConsolePinSource(Interrupting(), io.StringIO()).read_pin("PIN: ")


def _read_until(fd: int, needle: bytes, timeout: float = 15) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while needle not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                out += os.read(fd, 1024)
            except OSError:
                break
    return out


def _on_a_terminal(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    card = tmp_path / "card.json"
    store.save(card, make_state(pin="284619"))
    master, slave = os.openpty()
    proc = subprocess.Popen([SSCARD, "verify", "-r", f"emu:{card}"], stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    return proc, master


def test_pin_is_not_echoed_on_a_terminal(tmp_path: Path) -> None:
    proc, master = _on_a_terminal(tmp_path)
    try:
        assert b"PIN:" in _read_until(master, b"PIN:")
        os.write(master, b"284619\n")
        out = _read_until(master, b"PIN verified")
        assert proc.wait(15) == 0
    finally:
        os.close(master)
    assert b"PIN verified" in out and b"284619" not in out


def test_ctrl_c_at_the_prompt_spends_nothing(tmp_path: Path) -> None:
    proc, master = _on_a_terminal(tmp_path)
    try:
        _read_until(master, b"PIN:")
        proc.send_signal(signal.SIGINT)
        out = _read_until(master, b"cancelled")
        assert proc.wait(15) == cli.EXIT_PIN_REFUSED
    finally:
        os.close(master)
    assert b"cancelled" in out and b"Traceback" not in out
    assert store.load(tmp_path / "card.json").pin.tries_left == 6
