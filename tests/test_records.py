import datetime as dt

import pytest

from apdu.records import (
    BasicInfo,
    card_number_check_char,
    card_number_valid,
    date_decode,
    encode_item,
    parse_basic_info,
    split_records,
    ssn_check_char,
    ssn_valid,
    usual_file_length,
)
from apdu import profile
from emulator.personalise import Holder, records


def test_card_number_check_character_of_spec_example() -> None:
    # X=33: 33*3 + 1*2 = 101; 101 mod 11 = 2; 11 - 2 = 9
    assert card_number_check_char("X0000001") == "9"
    assert card_number_valid("X00000019")
    assert not card_number_valid("X00000018")


@pytest.mark.parametrize("first8, check", [("00000000", "0"), ("A0000000", "3")])
def test_card_number_special_values(first8: str, check: str) -> None:
    # 00000000: sum 0 -> C = 11 -> written 0;  A=10: 30 mod 11 = 8 -> 3
    assert card_number_check_char(first8) == check


def test_card_number_ten_is_written_x() -> None:
    # sum 1 -> C = 10: no weight is 1, but 6*2 = 12 ≡ 1 (mod 11)
    assert card_number_check_char("00000006") == "X"


def test_ssn_check_character() -> None:
    assert ssn_check_char("11010519491231002") == "X"  # GB 11643 published example
    assert ssn_valid("11010519491231002X")
    assert not ssn_valid("110105194912310021")


def test_ascii_dates_of_old_field_cards_are_kept_and_flagged() -> None:
    text, problem = date_decode(b"2012")
    assert text == "2012" and "ASCII" in problem
    text, problem = date_decode(bytes.fromhex("20120931"))  # 31 September
    assert text == "20120931".upper() and problem


def test_field_card_with_odd_values_is_reported_not_crashed() -> None:
    h = Holder().resolved(dt.date(2012, 5, 1))
    ef05, ef06 = records(h)
    # the 2012 field card: ASCII years and a "2.0" version
    ef05[2] = bytes.fromhex("0304") + b"2.0\x00"
    ef05[4] = bytes.fromhex("0504") + b"2012"
    ef05[5] = bytes.fromhex("0604") + b"2022"
    objects, problem = split_records(b"".join(ef05 + ef06))
    assert problem is None
    info = parse_basic_info(objects)
    assert info.issue_date == "2012" and info.expiry_date == "2022" and info.spec_version == "2.0"
    assert info.expiry is None and not info.is_expired(dt.date(2030, 1, 1))
    joined = " ".join(info.anomalies)
    assert "issue_date" in joined and "expiry_date" in joined and "spec_version" in joined


def test_conforming_card_parses_cleanly() -> None:
    h = Holder(name="李小龙").resolved(dt.date(2024, 1, 2))
    ef05, ef06 = records(h)
    info = parse_basic_info(split_records(b"".join(ef05 + ef06))[0], bytes.fromhex("3B6D00000081544C928684210100000001"))
    assert info.anomalies == []
    assert (info.name, info.card_number, info.ssn, info.region) == ("李小龙", "X00000019", Holder.ssn, "210100")
    assert (info.issue_date, info.expiry_date, info.birth_date) == ("20240102", "20340102", "19810101")
    assert info.historical_bytes == "0081544C928684210100000001"
    assert info.is_expired(dt.date(2034, 1, 3)) and not info.is_expired(dt.date(2034, 1, 2))


def test_long_name_continues_in_4e() -> None:
    name = "阿" * 20  # 40 GBK bytes: 30 in 09, 10 in 4E
    ef05, ef06 = records(Holder(name=name).resolved(dt.date(2024, 1, 1)))
    assert any(r[0] == 0x4E for r in ef06)
    info = parse_basic_info(split_records(b"".join(ef05 + ef06))[0])
    assert info.name == name and info.anomalies == []


def test_missing_and_truncated_items_are_flagged() -> None:
    objects, problem = split_records(encode_item(0x07, "X00000019") + bytes.fromhex("0812313233"))
    assert problem and "runs past the end" in problem
    info = parse_basic_info(objects)
    assert info.card_number == "X00000019"
    assert any("ssn" in p and "missing" in p for p in info.anomalies)


def test_usual_file_lengths_follow_the_item_table() -> None:
    assert usual_file_length(profile.EF05_FID) == 18 + 3 + 6 + 14 + 6 + 6 + 11
    assert usual_file_length(profile.EF06_FID) == 20 + 32 + 3 + 3 + 5 + 6


def test_basic_info_default_is_not_expired() -> None:
    assert not BasicInfo().is_expired(dt.date.today())
