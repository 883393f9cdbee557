"""Through the real PC/SC stack: pyscard → pcscd → vpcd → the emulated card.

These run in CI (`.ci/run` installs pcscd and vsmartcard-vpcd); the session fixture starts
pcscd when it is not running and fails, never skips, when it cannot.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from smartcard import scard

from apdu import profile
from apdu.pin import Pin
from emulator import store
from terminal import cli
from terminal.cli import main
from terminal.errors import CardRemoved, CardReset, SharingViolation, UnresponsiveCard
from terminal.pcsc import PcscTransport, choose_reader, error_for
from terminal.session import CardSession
from tests.conftest import Logged, make_state
from tests.pcsc_stack import SLOT0, SLOT1, wait_reader

pytestmark = pytest.mark.pcsc
SSCARD = str(Path(sys.executable).with_name("sscard"))


def test_readers_lists_the_virtual_slots(vpcd_card, runner: CliRunner) -> None:
    slot = vpcd_card()
    doc = json.loads(runner.invoke(main, ["readers", "--json"]).stdout)
    by_name = {r["name"]: r for r in doc}
    assert by_name[SLOT0]["card_present"] and by_name[SLOT0]["atr"] == slot.card.atr.hex().upper()
    assert by_name[SLOT1]["card_present"] is False
    text = runner.invoke(main, ["readers"]).stdout
    assert f"0: {SLOT0}: card 3B6D" in text and "no card" in text


@pytest.mark.parametrize("protocol", [0, 1], ids=["T=0", "T=1"])
def test_info_through_pcscd_matches_in_process(vpcd_card, runner: CliRunner, protocol: int) -> None:
    slot = vpcd_card(protocol=protocol, name="孙七")
    pcsc = runner.invoke(main, ["info", "--reader", SLOT0, "--json"])
    assert pcsc.exit_code == 0, pcsc.output
    doc = json.loads(pcsc.stdout)
    assert doc["name"] == "孙七" and doc["anomalies"] == [] and doc["atr"] == slot.card.atr.hex().upper()
    with PcscTransport(SLOT0) as transport:
        assert transport.protocol == protocol
        session = CardSession(transport)
        session.read_basic_info()
        assert session.channel.exchanges == 3
    in_process = runner.invoke(main, ["info", "--reader", f"emu:{slot.path}", "--json"])
    assert json.loads(in_process.stdout) == doc


@pytest.mark.parametrize("protocol", [0, 1], ids=["T=0", "T=1"])
def test_verify_lock_and_change_through_pcscd(vpcd_card, runner: CliRunner, protocol: int) -> None:
    slot = vpcd_card(protocol=protocol)
    ok = runner.invoke(main, ["verify", "-r", SLOT0], input="123456\n")
    assert ok.exit_code == 0 and "change it" in ok.output
    changed = runner.invoke(main, ["change-pin", "-r", SLOT0], input="123456\n502718\n502718\n")
    assert changed.exit_code == 0, changed.output
    for left in (5, 4, 3, 2, 1):
        wrong = runner.invoke(main, ["verify", "-r", SLOT0], input="000000\n")
        assert wrong.exit_code == cli.EXIT_WRONG_PIN and f"{left} tr" in wrong.output
    assert runner.invoke(main, ["verify", "-r", SLOT0], input="502718\n").exit_code == 0  # resets to 6
    for _ in range(6):
        runner.invoke(main, ["verify", "-r", SLOT0], input="000000\n")
    blocked = runner.invoke(main, ["verify", "-r", SLOT0], input="502718\n")
    assert blocked.exit_code == cli.EXIT_PIN_BLOCKED
    assert store.load(slot.path).pin.tries_left == 0  # persisted by the emulator after each command


def test_reader_choice_by_index_substring_and_default(vpcd_card, runner: CliRunner) -> None:
    vpcd_card()
    for choice in ("0", "PCD 00 00", "virtual pcd 00 00"):
        result = runner.invoke(main, ["info", "--reader", choice, "--format", "bas"])
        assert result.exit_code == 0 and "|X00000019|" in result.stdout
    assert "|X00000019|" in runner.invoke(main, ["info", "--format", "bas"]).stdout  # the only reader with a card
    ambiguous = runner.invoke(main, ["info", "--reader", "PCD"])
    assert ambiguous.exit_code == cli.EXIT_READER and "several readers" in ambiguous.output
    empty = runner.invoke(main, ["info", "--reader", SLOT1])
    assert empty.exit_code == cli.EXIT_READER and "no card" in empty.output
    unknown = runner.invoke(main, ["info", "--reader", "7"])
    assert unknown.exit_code == cli.EXIT_READER and "no reader number 7" in unknown.output


def test_no_card_anywhere_is_a_clear_error(pcscd, runner: CliRunner) -> None:
    wait_reader(SLOT0, False)
    result = runner.invoke(main, ["info"])
    assert result.exit_code == cli.EXIT_READER and "no card in any reader" in result.output


def test_choose_reader_rules() -> None:
    from terminal.pcsc import ReaderStatus
    from terminal.errors import AmbiguousReader, NoReader

    statuses = [ReaderStatus(0, "A Reader 00", True, b"\x3b"), ReaderStatus(1, "B Reader 01", True, b"\x3b")]
    with pytest.raises(AmbiguousReader):
        choose_reader(None, statuses)
    assert choose_reader("B", statuses) == "B Reader 01"
    with pytest.raises(NoReader):
        choose_reader(None, [])


def test_pcsc_error_codes_map_to_typed_errors() -> None:
    from terminal.errors import NoCard, PcscUnavailable

    assert isinstance(error_for(scard.SCARD_E_NO_SERVICE, None, "x"), PcscUnavailable)
    assert "pcscd" in str(error_for(scard.SCARD_E_NO_SERVICE, None, "x"))
    assert isinstance(error_for(scard.SCARD_W_REMOVED_CARD, "R", "x"), CardRemoved)
    assert isinstance(error_for(scard.SCARD_W_RESET_CARD, "R", "x"), CardReset)
    assert isinstance(error_for(scard.SCARD_E_SHARING_VIOLATION, "R", "x"), SharingViolation)
    assert isinstance(error_for(scard.SCARD_E_NO_SMARTCARD, "R", "x"), NoCard)
    assert isinstance(error_for(scard.SCARD_W_UNRESPONSIVE_CARD, "R", "x"), UnresponsiveCard)


def test_removal_during_verify_reports_and_keeps_the_spent_try(vpcd_card) -> None:
    holder: dict = {}

    def pull_on_verify(apdu: bytes) -> None:
        if apdu[1] == 0x20:
            holder["slot"].link.stop()  # the card is pulled after it spent the try, before it answers

    slot = vpcd_card(wrap=lambda card: Logged(card, pull_on_verify))
    holder["slot"] = slot
    with PcscTransport(SLOT0) as transport:
        session = CardSession(transport)
        with pytest.raises(CardRemoved, match="removed"):
            session.verify_pin(Pin("000000"))
    verifies = [a for a in slot.card.log if a[1] == 0x20]
    assert len(verifies) == 1  # never resent
    assert store.load(slot.path).pin.tries_left == 5  # as the card left it


def test_emulator_restart_mid_operation_is_a_typed_error(vpcd_card) -> None:
    holder: dict = {}

    def drop_link(apdu: bytes) -> None:
        if apdu[1] == 0x20:
            sock = holder["slot"].link._sock
            sock.shutdown(socket.SHUT_RDWR)  # the link drops; the emulator reconnects at once

    slot = vpcd_card(wrap=lambda card: Logged(card, drop_link))
    holder["slot"] = slot
    with PcscTransport(SLOT0) as transport:
        with pytest.raises((CardRemoved, CardReset, UnresponsiveCard)) as info:
            CardSession(transport).verify_pin(Pin("000000"))
    assert "start again" in str(info.value)
    assert [a[1] for a in slot.card.log].count(0x20) == 1
    assert store.load(slot.path).pin.tries_left == 5


def test_reset_by_another_program_is_reported_not_resent(vpcd_card) -> None:
    slot = vpcd_card(wrap=Logged)
    with PcscTransport(SLOT0) as ours:
        CardSession(ours).read_basic_info()
        with PcscTransport(SLOT0) as other:
            hr, _ = scard.SCardReconnect(other._card, scard.SCARD_SHARE_SHARED,
                                         scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1, scard.SCARD_RESET_CARD)
            assert hr == scard.SCARD_S_SUCCESS
        with pytest.raises(CardReset, match="reset"):
            CardSession(ours).verify_pin(Pin("123456"))
    assert not any(a[1] == 0x20 for a in slot.card.log)
    assert store.load(slot.path).pin.tries_left == 6


def test_exclusive_mode_keeps_others_out(vpcd_card, runner: CliRunner) -> None:
    vpcd_card()
    with PcscTransport(SLOT0, exclusive=True):
        result = runner.invoke(main, ["info", "--reader", SLOT0])
        assert result.exit_code == cli.EXIT_READER and "in use by another program" in result.output
    assert runner.invoke(main, ["info", "--reader", SLOT0, "--exclusive"]).exit_code == 0


WORKER = """
import sys
from terminal.pcsc import PcscTransport
from terminal.session import CardSession
with PcscTransport(sys.argv[1]) as t:
    s = CardSession(t)
    print("ready", flush=True)
    sys.stdin.readline()  # both workers start together
    for _ in range(int(sys.argv[2])):
        info = s.read_basic_info()
        assert info.anomalies == [], info.anomalies
print("ok")
"""


def test_two_processes_do_not_interleave_operations(vpcd_card) -> None:
    slot = vpcd_card(wrap=Logged)
    # Make each read a 7-command operation whose steps depend on the selected EF.
    slot.card.inner.state.features["read_by_sfi"] = False
    rounds = 60
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, SLOT0, str(rounds)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    assert [p.stdout.readline() for p in procs] == ["ready\n", "ready\n"]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and outputs == ["ok\n", "ok\n"]
    block = [
        b"\xa4\x04", b"\xb2\x01", b"\xa4\x00", b"\xb2\x01", b"\xb2\x01", b"\xa4\x00", b"\xb2\x01",
    ]
    seen = [a[1:3] for a in slot.card.log]
    assert len(seen) == 2 * rounds * len(block)
    for start in range(0, len(seen), len(block)):
        assert seen[start : start + len(block)] == block, f"operations interleaved at command {start}"


def test_independent_client_reads_the_spec_records(vpcd_card) -> None:
    scriptor = shutil.which("scriptor")
    assert scriptor, "pcsc-tools (scriptor) must be installed"
    slot = vpcd_card()
    ef05 = slot.card.state.file_by_sfi(5).records
    script = "\n".join([
        "00 A4 04 00 0F " + profile.SSSE_NAME.hex(" ").upper(),
        "00 C0 00 00 18",
        "00 B2 07 2C 0B",
        "00 A4 00 00 02 EF 06",
        "00 B2 08 00 14",
    ]) + "\n"
    out = subprocess.run([scriptor, "-r", SLOT0], input=script, capture_output=True, text=True, timeout=30).stdout
    flat = " ".join(out.split())
    assert "< 61 18" in out
    assert "6F 16 84 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF A5 03 88 01 1E 90 00" in flat
    assert ef05[6].hex(" ").upper() + " 90 00" in flat  # 07 09 'X00000019'
    assert "08 12 32 31 30 31 30 32 31 39 38 31 30 31 30 31 31 31 31 37 90 00" in flat


def test_emulate_command_serves_pcscd_and_stops_on_ctrl_c(pcscd, tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    store.save(path, make_state(protocol=1))
    proc = subprocess.Popen([SSCARD, "emulate", str(path)], stderr=subprocess.PIPE, text=True)
    try:
        wait_reader(SLOT0, True, store.load(path).atr)
        wrong = subprocess.run([SSCARD, "verify", "-r", SLOT0], input="000000\n", capture_output=True, text=True, timeout=30)
        assert wrong.returncode == cli.EXIT_WRONG_PIN
        assert store.load(path).pin.tries_left == 5  # written by the emulator process
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "emulation stopped" in err and "Traceback" not in err
    wait_reader(SLOT0, False)


def test_emulate_retries_a_lost_vpcd_with_back_off(tmp_path: Path) -> None:
    """A stand-in vpcd on a free port: the card reconnects after the link drops and answers GET ATR."""
    path = tmp_path / "card.json"
    store.save(path, make_state())
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    proc = subprocess.Popen([SSCARD, "emulate", str(path), "--vpcd", f"127.0.0.1:{port}"],
                            stderr=subprocess.PIPE, text=True)
    try:
        atrs = []
        for _ in range(2):
            server.settimeout(20)
            conn, _ = server.accept()
            conn.sendall(b"\x00\x01\x04")  # GET ATR
            length = int.from_bytes(conn.recv(2), "big")
            atrs.append(conn.recv(length))
            conn.sendall(b"\x00\x05" + bytes.fromhex("00B2012D40"))  # an APDU: no SSSE selected
            assert conn.recv(4) == bytes.fromhex("00026A82")
            conn.close()  # vpcd goes away: the card must come back
        assert atrs == [store.load(path).atr] * 2
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
        server.close()
    assert "lost" in err and "reconnecting" in err


def test_watch_reports_insertion_and_removal(vpcd_card, pcscd) -> None:
    wait_reader(SLOT0, False)
    proc = subprocess.Popen([SSCARD, "watch", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        slot = vpcd_card(name="周八")
        inserted = json.loads(proc.stdout.readline())
        assert inserted["event"] == "inserted" and inserted["reader"] == SLOT0
        assert inserted["card"]["name"] == "周八" and inserted["atr"] == slot.card.atr.hex().upper()
        slot.remove()
        removed = json.loads(proc.stdout.readline())
        assert removed == {"event": "removed", "reader": SLOT0}
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "Traceback" not in err


# --- PIN reset and unblock with the PSAM in the second slot ------------------------------------
@pytest.fixture
def vpcd_psam(pcscd):
    from emulator.psam import Psam, new_psam
    from tests.pcsc_stack import InsertedCard

    inserted: list[InsertedCard] = []

    def insert(keyset_name: str = "test-3des", wrap=None) -> InsertedCard:
        psam = Psam(new_psam(keyset_name))
        slot = InsertedCard(wrap(psam) if wrap else psam, SLOT1)
        inserted.append(slot.insert())
        return slot

    yield insert
    for slot in inserted:
        slot.remove()


@pytest.mark.parametrize("keyset_name", ["test-3des", "test-sm4"])
def test_reset_and_unblock_through_pcscd(vpcd_card, vpcd_psam, runner: CliRunner, tmp_path: Path, keyset_name: str) -> None:
    slot = vpcd_card(keyset_name=keyset_name, region="420100")  # a card from another province
    vpcd_psam(keyset_name)
    for _ in range(6):
        runner.invoke(main, ["verify", "-r", SLOT0], input="000000\n")
    trail = tmp_path / "audit.jsonl"
    common = ["-r", SLOT0, "--psam", SLOT1, "--operator", "op5", "--audit-log", str(trail)]
    result = runner.invoke(main, ["unblock", *common])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["verify", "-r", SLOT0], input="123456\n").exit_code == 0
    result = runner.invoke(main, ["reset-pin", *common], input="394817\n394817\n")
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["verify", "-r", SLOT0], input="394817\n").exit_code == 0
    assert store.load(slot.path).pin.tries_left == 6
    records = [json.loads(line) for line in trail.read_text().splitlines()]
    assert [r["outcome"] for r in records] == ["started", "success"] * 2
    assert records[0]["reader"] == SLOT0 and records[0]["psam"] == SLOT1


def test_psam_removed_mid_flow_through_pcscd(vpcd_card, vpcd_psam, runner: CliRunner, tmp_path: Path) -> None:
    slot = vpcd_card()
    for _ in range(6):
        runner.invoke(main, ["verify", "-r", SLOT0], input="000000\n")
    holder: dict = {}

    def pull_on_first_computation(apdu: bytes) -> None:
        if apdu[1] == 0x1A:
            holder["psam"].link.stop()

    holder["psam"] = vpcd_psam(wrap=lambda p: Logged(p, pull_on_first_computation))
    trail = tmp_path / "audit.jsonl"
    result = runner.invoke(main, ["unblock", "-r", SLOT0, "--psam", SLOT1, "--operator", "op5", "--audit-log", str(trail)])
    assert result.exit_code == cli.EXIT_READER and "removed" in result.output
    assert store.load(slot.path).pin.tries_left == 0
    assert [json.loads(line)["outcome"] for line in trail.read_text().splitlines()] == ["started", "failed"]


def test_emulate_presents_the_psam_in_the_second_slot(pcscd, tmp_path: Path) -> None:
    card, psam = tmp_path / "card.json", tmp_path / "psam.json"
    subprocess.run([SSCARD, "card", "new", str(card), "--keyset", "test-sm4"], check=True, capture_output=True)
    subprocess.run([SSCARD, "card", "new-psam", str(psam), "--keyset", "test-sm4"], check=True, capture_output=True)
    proc = subprocess.Popen([SSCARD, "emulate", str(card), "--psam", str(psam)], stderr=subprocess.PIPE, text=True)
    try:
        wait_reader(SLOT0, True, store.load(card).atr)
        wait_reader(SLOT1, True)
        for _ in range(6):
            subprocess.run([SSCARD, "verify", "-r", SLOT0], input="000000\n", capture_output=True, text=True, timeout=30)
        result = subprocess.run([SSCARD, "unblock", "-r", SLOT0, "--psam", SLOT1, "--operator", "op1",
                                 "--audit-log", str(tmp_path / "a.jsonl")], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert store.load(card).pin.tries_left == 6
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "Traceback" not in err
    wait_reader(SLOT0, False)
    wait_reader(SLOT1, False)


def test_pcsc_pinpad_on_vpcd_is_refused_cleanly(vpcd_card, runner: CliRunner) -> None:
    """Debian's vpcd rejects SCardControl: the secure path is refused and no PIN try is spent."""
    slot = vpcd_card()
    result = runner.invoke(main, ["verify", "-r", SLOT0, "--pinpad", "pcsc"])
    assert result.exit_code == cli.EXIT_PIN_REFUSED and "no secure PIN pad" in result.output
    assert store.load(slot.path).pin.tries_left == 6
