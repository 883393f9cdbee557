"""PC/SC Part 10 secure PIN entry against the virtual PIN-pad reader and the emulated card."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from apdu import part10
from apdu.part10 import Part10Error, PinModifyStructure, PinVerifyStructure, parse_features, parse_tlv_properties
from apdu.status import PinBlocked, WrongPin
from emulator.card import SocialSecurityCard
from emulator.pinpad_reader import ControlRefused, VirtualPinPadReader
from pinpad.part10 import Part10PinPad, get_feature_request_code
from pinpad.source import PinEntriesDiffer, PinEntryCancelled, PinEntryTimeout, PinLengthOutOfRange, PinPadError
from terminal import cli
from terminal.cli import main
from terminal.inprocess import InProcessTransport
from terminal.service import PinService
from terminal.session import CardSession
from tests.conftest import Logged, make_state


def test_verify_structure_byte_for_byte() -> None:
    raw = PinVerifyStructure(bytes.fromhex("0020000003000000")).encode()
    assert raw.hex().upper() == (
        "1E" "00" "81" "03" "00" "0606" "02" "01" "0408" "00" "000000" "08000000" "0020000003000000")
    assert len(raw) - 8 == 19
    assert PinVerifyStructure.decode(raw).template == bytes.fromhex("0020000003000000")


def test_modify_structure_byte_for_byte() -> None:
    raw = PinModifyStructure(bytes.fromhex("805E010007000000FF000000"), 0, 4).encode()
    assert raw.hex().upper() == (
        "1E" "00" "81" "03" "00" "00" "04" "0606" "03" "02" "03" "0408" "00" "01" "02" "000000" "0C000000"
        "805E010007000000FF000000")
    assert len(raw) - 12 == 24
    decoded = PinModifyStructure.decode(raw)
    assert (decoded.offset_old, decoded.offset_new, decoded.confirm) == (0, 4, 3)


def test_structures_refuse_inconsistent_lengths() -> None:
    raw = PinVerifyStructure(bytes.fromhex("0020000003000000")).encode()
    with pytest.raises(Part10Error):
        PinVerifyStructure.decode(raw[:-1])
    with pytest.raises(Part10Error):
        PinModifyStructure.decode(raw[:10])


def test_feature_list_and_tlv_properties() -> None:
    assert parse_features(bytes.fromhex("06044233000607044233000712044233001A")) == {
        0x06: 0x42330006, 0x07: 0x42330007, 0x12: 0x4233001A}
    with pytest.raises(Part10Error):
        parse_features(bytes.fromhex("0603423300"))
    with pytest.raises(Part10Error):
        parse_features(bytes.fromhex("060542330006"))
    assert parse_tlv_properties(bytes.fromhex("0601060702D007")) == {0x06: 6, 0x07: 2000}
    assert get_feature_request_code() == 0x42000D48  # pcsc-lite


def reader(keypad: list[str], **kw) -> tuple[Logged, VirtualPinPadReader, InProcessTransport]:
    card = Logged(SocialSecurityCard(make_state(**kw)))
    virtual = VirtualPinPadReader(card, keypad)
    transport = InProcessTransport(virtual, "virtual pinpad reader")
    transport.connect()
    return card, virtual, transport


def test_control_codes_come_from_the_reader() -> None:
    _, virtual, transport = reader([])
    pad = Part10PinPad(transport)
    assert pad.features[part10.FEATURE_VERIFY_PIN_DIRECT] == virtual.codes[part10.FEATURE_VERIFY_PIN_DIRECT]
    with pytest.raises(ControlRefused):
        virtual.control(0x42330006, b"")  # a hard-coded CCID code is not this reader's
    assert pad.properties() == {"tag_06": 6, "tag_07": 6}


def test_verify_on_the_keypad(protocol: int) -> None:
    card, virtual, transport = reader(["123456"], protocol=protocol)
    result = PinService(CardSession(transport)).verify(Part10PinPad(transport))
    assert result.initial_pin is None  # the host never saw the PIN
    (verify,) = [a for a in card.log if a[1] == 0x20]
    assert verify == bytes.fromhex("0020000003123456")  # the reader wrote the PIN, not the host
    assert card.inner.state.pin.tries_left == 6


def test_wrong_pin_on_the_keypad_spends_exactly_one_try() -> None:
    card, _, transport = reader(["000000"])
    with pytest.raises(WrongPin) as info:
        PinService(CardSession(transport)).verify(Part10PinPad(transport))
    assert info.value.remaining == 5 and card.inner.state.pin.tries_left == 5
    assert sum(1 for a in card.log if a[1] == 0x20) == 1


@pytest.mark.parametrize("entry, error", [
    ("cancel", PinEntryCancelled), ("timeout", PinEntryTimeout), ("12345", PinLengthOutOfRange),
])
def test_cancel_timeout_and_bad_length_spend_nothing(entry: str, error: type) -> None:
    card, _, transport = reader([entry])
    with pytest.raises(error):
        PinService(CardSession(transport)).verify(Part10PinPad(transport))
    assert card.inner.state.pin.tries_left == 6 and not any(a[1] == 0x20 for a in card.log)


def test_change_pin_on_the_keypad() -> None:
    card, virtual, transport = reader(["123456", "580317", "580317", "580317"])
    service = PinService(CardSession(transport))
    pad = Part10PinPad(transport)
    service.change_pin(pad)
    (change,) = [a for a in card.log if a[1] == 0x5E]
    assert change == bytes.fromhex("805E010007123456FF580317")
    service.verify(pad)
    assert card.inner.state.pin.tries_left == 6


def test_new_pins_that_differ_on_the_keypad_send_nothing() -> None:
    card, _, transport = reader(["123456", "580317", "580318"])
    with pytest.raises(PinEntriesDiffer):
        PinService(CardSession(transport)).change_pin(Part10PinPad(transport))
    assert not any(a[1] == 0x5E for a in card.log)


def test_bad_structure_is_reported() -> None:
    _, virtual, transport = reader(["123456"])
    pad = Part10PinPad(transport)
    with pytest.raises(PinPadError, match="6B80"):
        pad.verify(bytes.fromhex("00200000"))  # a template without the PIN block


def test_blocked_card_through_the_keypad() -> None:
    card, _, transport = reader(["000000"] * 6 + ["123456"])
    service = PinService(CardSession(transport))
    pad = Part10PinPad(transport)
    for _ in range(6):
        with pytest.raises(WrongPin):
            service.verify(pad)
    with pytest.raises(PinBlocked):
        service.verify(pad)


def test_entry_runs_off_the_calling_thread() -> None:
    _, virtual, transport = reader(["123456"])
    seen: list[str] = []
    original = virtual.control

    def spy(code: int, data: bytes) -> bytes:
        seen.append(threading.current_thread().name)
        return original(code, data)

    virtual.control = spy  # type: ignore[method-assign]
    PinService(CardSession(transport)).verify(Part10PinPad(transport))
    assert seen[0] == threading.current_thread().name  # feature discovery may run here
    assert seen[-1].startswith("sscard-pinpad") and seen[-1] != threading.current_thread().name


def test_reset_pin_refuses_a_secure_pad() -> None:
    from emulator.psam import Psam, new_psam
    from terminal.audit import AuditLog
    from terminal.errors import PinRefused
    from terminal.policy import Actor
    from terminal.psam import PsamSession

    _, _, transport = reader(["123456"])
    psam = InProcessTransport(Psam(new_psam("test-3des")))
    psam.connect()
    with pytest.raises(PinRefused, match="PSAM"):
        PinService(CardSession(transport)).reset_pin(Part10PinPad(transport), PsamSession(psam), Actor("op"), AuditLog("/nonexistent/x"))


def test_cli_pcsc_pinpad_on_a_reader_without_one(tmp_path, runner: CliRunner) -> None:
    card = tmp_path / "c.json"
    runner.invoke(main, ["card", "new", str(card)])
    result = runner.invoke(main, ["verify", "-r", f"emu:{card}", "--pinpad", "pcsc"])
    assert result.exit_code == cli.EXIT_PIN_REFUSED and "no secure PIN pad" in result.output
