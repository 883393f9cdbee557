import pickle

import pytest

from apdu.atr import Atr, build_atr
from apdu.errors import InvalidAtr, InvalidPinFormat
from apdu.pin import Pin


def test_pin_bcd_and_wipe() -> None:
    pin = Pin("123456")
    assert bytes(pin.bcd()) == bytes.fromhex("123456")
    pin.wipe()
    assert pin.wiped
    with pytest.raises(InvalidPinFormat):
        pin.bcd()


@pytest.mark.parametrize("text", ["12345", "1234567", "12345a", "", "１２３４５６"])
def test_pin_format_errors_never_show_the_input(text: str) -> None:
    with pytest.raises(InvalidPinFormat) as info:
        Pin(text)
    assert text not in str(info.value) or text == ""


def test_pin_is_never_rendered() -> None:
    pin = Pin("987650")
    assert "987650" not in repr(pin) and "987650" not in str(pin) and "987650" not in f"{pin}"
    with pytest.raises(TypeError):
        pickle.dumps(pin)
    with pytest.raises(TypeError):
        hash(pin)


def test_pin_from_bcd_refuses_non_digits() -> None:
    assert Pin.from_bcd(bytes.fromhex("120934")) == Pin("120934")
    with pytest.raises(InvalidPinFormat):
        Pin.from_bcd(bytes.fromhex("12345F"))


def test_field_atr_gives_card_factor() -> None:
    atr = Atr.parse(bytes.fromhex("3B6D00000081544C928684420100000135"))
    assert atr.protocols == (0,)
    assert atr.card_factor == bytes.fromhex("8684420100000135")


def test_emulator_atr_matches_the_field_form() -> None:
    assert build_atr("420100", bytes.fromhex("00000135")) == bytes.fromhex("3B6D00000081544C928684420100000135")


def test_t1_atr_has_valid_tck_and_same_card_factor() -> None:
    raw = build_atr("210200", bytes.fromhex("12345678"), protocol=1)
    atr = Atr.parse(raw)
    assert atr.protocols == (1,)
    assert atr.card_factor == bytes.fromhex("8684210200345678")
    broken = raw[:-1] + bytes((raw[-1] ^ 1,))
    with pytest.raises(InvalidAtr, match="TCK"):
        Atr.parse(broken)


@pytest.mark.parametrize("hexstr", ["", "3B", "3B6D0000", "3B600000FF"])
def test_bad_atrs(hexstr: str) -> None:
    with pytest.raises(InvalidAtr):
        Atr.parse(bytes.fromhex(hexstr))
