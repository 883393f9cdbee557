"""The emulated card as an APDU handler: file system, read forms, T=0/T=1 rules, PIN object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apdu import profile
from apdu.records import split_records
from emulator import store
from emulator.card import SocialSecurityCard
from emulator.state import CardState, StateError
from tests.conftest import make_state

SELECT_SSSE = bytes.fromhex("00A404000F") + profile.SSSE_NAME


def sw(answer: bytes) -> int:
    return int.from_bytes(answer[-2:], "big")


def selected(protocol: int = 0, **kw) -> SocialSecurityCard:
    card = SocialSecurityCard(make_state(protocol=protocol, **kw))
    card.power_on()
    answer = card.execute(SELECT_SSSE)
    assert sw(answer) in (0x9000, 0x6118)
    return card


def test_select_t0_answers_61xx_and_get_response_returns_fci() -> None:
    card = SocialSecurityCard(make_state(protocol=0))
    card.power_on()
    assert sw(card.execute(SELECT_SSSE + b"\x00")) == 0x6118
    answer = card.execute(bytes.fromhex("00C0000018"))
    assert answer == bytes.fromhex("6F1684 0F".replace(" ", "")) + profile.SSSE_NAME + bytes.fromhex("A503 88011E 9000".replace(" ", ""))


def test_get_response_partial_and_wrong_length() -> None:
    card = SocialSecurityCard(make_state(protocol=0))
    card.power_on()
    card.execute(SELECT_SSSE)
    assert sw(card.execute(bytes.fromhex("00C0000020"))) == 0x6C18  # too long: card names the length
    first = card.execute(bytes.fromhex("00C0000010"))
    assert sw(first) == 0x6108 and len(first) == 18
    last = card.execute(bytes.fromhex("00C0000008"))
    assert sw(last) == 0x9000 and len(last) == 10
    assert sw(card.execute(bytes.fromhex("00C0000008"))) == 0x6985  # nothing pending any more


def test_select_t1_returns_fci_only_when_asked() -> None:
    card = SocialSecurityCard(make_state(protocol=1))
    card.power_on()
    assert card.execute(SELECT_SSSE) == bytes.fromhex("9000")
    answer = card.execute(SELECT_SSSE + b"\x00")
    assert answer[0] == 0x6F and answer[-2:] == b"\x90\x00"


def test_unknown_application_is_not_found() -> None:
    card = SocialSecurityCard(make_state())
    card.power_on()
    assert sw(card.execute(bytes.fromhex("00A4040005A000000003"))) == 0x6A82


@pytest.mark.parametrize("protocol", [0, 1])
def test_read_whole_file_by_sfi(protocol: int) -> None:
    card = selected(protocol)
    state = card.state
    expected = b"".join(state.file_by_sfi(5).records)
    if protocol == 0:
        assert sw(card.execute(bytes.fromhex("00B2012D00"))) == 0x6C00 | len(expected)
        answer = card.execute(bytes.fromhex("00B2012D") + bytes((len(expected),)))
    else:
        answer = card.execute(bytes.fromhex("00B2012D00"))
    assert answer == expected + b"\x90\x00"


def test_every_read_form_gives_the_same_records() -> None:
    card = selected(1)
    ef06 = card.state.file_by_sfi(6).records
    by_number = [card.execute(bytes((0, 0xB2, n, 0x34, 0)))[:-2] for n in range(1, len(ef06) + 1)]
    assert by_number == ef06
    assert sw(card.execute(bytes((0, 0xB2, len(ef06) + 1, 0x34, 0)))) == 0x6A83
    assert card.execute(bytes.fromhex("00A4000002EF06")) == bytes.fromhex("9000")
    assert card.execute(bytes.fromhex("00B2010500"))[:-2] == b"".join(ef06)
    assert card.execute(bytes.fromhex("00B2090000"))[:-2] == ef06[1]  # by identifier: tag 09 = name
    assert card.execute(bytes.fromhex("00B2020400"))[:-2] == ef06[1]
    assert sw(card.execute(bytes.fromhex("00B24E0000"))) == 0x6A83  # short name: no extension


def test_read_needs_a_selected_ef_or_sfi() -> None:
    card = selected(1)
    assert sw(card.execute(bytes.fromhex("00B2010400"))) == 0x6986
    card.power_on()  # reset: back at MF
    assert sw(card.execute(bytes.fromhex("00B2012D00"))) == 0x6A82


@pytest.mark.parametrize("feature, command", [
    ("read_by_sfi", "00B2012D00"),
    ("read_all", "00B2010500"),
    ("read_by_tag", "00B2090000"),
    ("read_by_number", "00B2010400"),
])
def test_forms_can_be_switched_off(feature: str, command: str) -> None:
    card = selected(1)
    card.execute(bytes.fromhex("00A4000002EF06"))
    card.state.features[feature] = False
    card.state.unsupported_sw = 0x6A81
    assert sw(card.execute(bytes.fromhex(command))) == 0x6A81


@pytest.mark.parametrize("hexstr, expected", [
    ("00", 0x6700), ("00A404", 0x6700), ("00A40400020102030405", 0x6700),
    ("10A4040000", 0x6E00), ("80A4040000", 0x6E00), ("0099000000", 0x6D00),
    ("00B2012F00", 0x6A86), ("00B2010100", 0x6A86), ("00B2012D", 0x6700),
    ("0020000002 1234", 0x6700), ("00200001031234 56", 0x6A86), ("8020000003123456", 0x6E00),
    ("805E0100071234560012345 6", 0x6A80), ("00A4080000", 0x6A86), ("00A40400", 0x6700),
])
def test_malformed_and_unknown_commands_get_their_status_word(hexstr: str, expected: int) -> None:
    card = selected(0)
    before = card.state.to_json()
    assert sw(card.execute(bytes.fromhex(hexstr.replace(" ", "")))) == expected
    assert card.state.to_json() == before


def test_internal_error_becomes_6f00() -> None:
    card = selected(0)
    card.state.files[0].records = None  # type: ignore[assignment]  # break the card
    assert card.execute(bytes.fromhex("00B2012D40")) == bytes.fromhex("6F00")


# --- PIN -------------------------------------------------------------------------------------
VERIFY = bytes.fromhex("0020000003")


def test_six_wrong_pins_block_and_correct_pin_then_refused() -> None:
    card = selected(0)
    for left in range(5, -1, -1):
        assert sw(card.execute(VERIFY + bytes.fromhex("111111"))) == 0x63C0 | left
    assert card.state.pin.tries_left == 0
    assert sw(card.execute(VERIFY + bytes.fromhex("123456"))) == 0x6983
    assert sw(card.execute(bytes.fromhex("805E010007123456FF135790"))) == 0x6983


def test_correct_pin_restores_the_counter() -> None:
    card = selected(0)
    card.execute(VERIFY + bytes.fromhex("111111"))
    card.execute(VERIFY + bytes.fromhex("111111"))
    assert card.state.pin.tries_left == 4
    assert card.execute(VERIFY + bytes.fromhex("123456")) == bytes.fromhex("9000")
    assert card.state.pin.tries_left == 6


def test_try_limit_is_a_card_property() -> None:
    card = selected(0, max_tries=8)
    assert sw(card.execute(VERIFY + bytes.fromhex("000001"))) == 0x63C7


def test_try_is_persisted_before_the_comparison() -> None:
    seen: list[int] = []
    card = SocialSecurityCard(make_state(), persist=lambda s: seen.append(s.pin.tries_left))
    card.power_on()
    card.execute(SELECT_SSSE)
    card.execute(VERIFY + bytes.fromhex("123456"))
    assert seen == [5, 6]  # spent and written first, restored after the match
    seen.clear()
    card.execute(VERIFY + bytes.fromhex("654321"))
    assert seen == [5]


def test_failed_persist_refuses_without_comparing() -> None:
    def broken(_state: CardState) -> None:
        raise OSError("disk full")

    card = SocialSecurityCard(make_state(), persist=broken)
    card.power_on()
    card.execute(SELECT_SSSE)
    assert card.execute(VERIFY + bytes.fromhex("123456")) == bytes.fromhex("6581")
    assert card.state.pin.tries_left == 6


def test_empty_verify_reports_tries_without_spending() -> None:
    card = selected(0)
    card.execute(VERIFY + bytes.fromhex("111111"))
    assert sw(card.execute(bytes.fromhex("00200000"))) == 0x63C5
    assert card.state.pin.tries_left == 5
    card.execute(VERIFY + bytes.fromhex("123456"))
    assert sw(card.execute(bytes.fromhex("00200000"))) == 0x9000


def test_verified_state_ends_on_reset_and_reselect() -> None:
    card = selected(0)
    card.execute(VERIFY + bytes.fromhex("123456"))
    assert sw(card.execute(bytes.fromhex("00200000"))) == 0x9000
    card.execute(SELECT_SSSE)
    assert sw(card.execute(bytes.fromhex("00200000"))) == 0x63C6
    card.execute(VERIFY + bytes.fromhex("123456"))
    card.reset()
    card.execute(SELECT_SSSE)
    assert sw(card.execute(bytes.fromhex("00200000"))) == 0x63C6


def test_verify_outside_the_application_finds_no_pin() -> None:
    card = SocialSecurityCard(make_state())
    card.power_on()
    assert sw(card.execute(VERIFY + bytes.fromhex("123456"))) == 0x6A88
    assert card.state.pin.tries_left == 6


def test_non_bcd_pin_costs_no_try() -> None:
    card = selected(0)
    assert sw(card.execute(VERIFY + bytes.fromhex("12345F"))) == 0x6A80
    assert card.state.pin.tries_left == 6


def test_change_pin() -> None:
    card = selected(0)
    assert sw(card.execute(bytes.fromhex("805E010007111111FF135790"))) == 0x63C5
    assert card.execute(bytes.fromhex("805E010007123456FF135790")) == bytes.fromhex("9000")
    assert card.state.pin.tries_left == 6
    assert sw(card.execute(VERIFY + bytes.fromhex("123456"))) == 0x63C5
    assert sw(card.execute(VERIFY + bytes.fromhex("135790"))) == 0x9000


# --- fuzz ------------------------------------------------------------------------------------
VALID_SW1 = {0x61, 0x62, 0x63, 0x65, 0x67, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x90}

not_pin_commands = st.binary(min_size=0, max_size=300).filter(lambda b: len(b) < 2 or b[1] not in (0x20, 0x5E, 0x82))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(not_pin_commands, max_size=6), st.sampled_from([0, 1]))
def test_random_apdus_get_a_valid_sw_and_leave_the_pin_alone(apdus: list[bytes], protocol: int) -> None:
    writes: list[int] = []
    card = SocialSecurityCard(make_state(protocol=protocol), persist=lambda s: writes.append(1))
    card.power_on()
    card.execute(SELECT_SSSE)
    for raw in apdus:
        answer = card.execute(raw)
        assert len(answer) >= 2 and answer[-2] in VALID_SW1
    assert card.state.pin.tries_left == 6 and writes == []


pin_shaped = st.tuples(
    st.sampled_from([0x00, 0x80, 0x84, 0x0C]), st.sampled_from([0x20, 0x5E]),
    st.integers(0, 2), st.integers(0, 1), st.binary(max_size=9), st.none() | st.integers(0, 255),
)


@settings(max_examples=300)
@given(st.lists(pin_shaped, max_size=5))
def test_malformed_pin_commands_spend_nothing(shapes: list) -> None:
    card = selected(0)
    for cla, ins, p1, p2, data, le in shapes:
        raw = bytes((cla, ins, p1, p2)) + (bytes((len(data),)) + data if data else b"") + (bytes((le,)) if le is not None else b"")
        well_formed = (
            (cla, ins, p1, p2) == (0x00, 0x20, 0, 0) and len(data) == 3 and le is None
            or (cla, ins, p1, p2) == (0x80, 0x5E, 1, 0) and len(data) == 7 and le is None and data[3] == 0xFF
        )
        before = card.state.pin.tries_left
        answer = card.execute(raw)
        assert answer[-2] in VALID_SW1
        if not well_formed:
            assert card.state.pin.tries_left == before


# --- state files -----------------------------------------------------------------------------
def test_state_round_trip(tmp_path: Path) -> None:
    state = make_state(protocol=1, max_tries=8)
    store.save(tmp_path / "c.json", state)
    assert store.load(tmp_path / "c.json").to_json() == state.to_json()
    assert (tmp_path / "c.json").stat().st_mode & 0o777 == 0o600


def test_state_file_holds_no_pin(tmp_path: Path) -> None:
    store.save(tmp_path / "c.json", make_state(pin="975318"))
    text = (tmp_path / "c.json").read_text()
    assert "975318" not in text


@pytest.mark.parametrize("mutate, message", [
    (lambda d: "not json{", "not valid JSON"),
    (lambda d: {**d, "version": 99}, "version 99 is not supported"),
    (lambda d: {**d, "format": "x"}, "not an emulated card state"),
    (lambda d: {**d, "protocol": "T=2"}, "T=0 or T=1"),
    (lambda d: {**d, "pin": {**d["pin"], "tries_left": 9}}, "out of range"),
    (lambda d: {**d, "files": [{"fid": "EF05"}]}, "corrupt"),
    (lambda d: {**d, "atr": "zz"}, "corrupt"),
    (lambda d: [], "not an emulated card state"),
])
def test_corrupt_state_is_refused_clearly(tmp_path: Path, mutate, message: str) -> None:
    path = tmp_path / "c.json"
    doc = make_state().to_json()
    bad = mutate(doc)
    path.write_text(bad if isinstance(bad, str) else json.dumps(bad))
    with pytest.raises(StateError, match=message):
        store.load(path)


def test_missing_state_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="sscard card new"):
        store.load(tmp_path / "none.json")


def test_records_parse_back(tmp_path: Path) -> None:
    state = make_state()
    objects, problem = split_records(b"".join(state.file_by_sfi(5).records))
    assert problem is None and [t for t, _ in objects] == [1, 2, 3, 4, 5, 6, 7]
