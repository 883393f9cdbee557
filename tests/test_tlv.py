import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu.errors import MalformedTlv
from apdu.tlv import Tlv, build_ber, build_simple, parse_ber, parse_simple, SimpleTlvError


def test_fci_of_ssse_parses() -> None:
    fci = bytes.fromhex("6F168 40F7378312E73682EC9E7BBE1B1A3D5CFA503880 11E".replace(" ", ""))
    (top,) = parse_ber(fci)
    assert top.tag == 0x6F and top.constructed
    assert top.find(0x84).value.hex().upper() == "7378312E73682EC9E7BBE1B1A3D5CF"
    assert top.find(0xA5).find(0x88).value == b"\x1e"


def test_multibyte_tag_and_long_length() -> None:
    raw = build_ber(0x9F38, bytes(200))
    assert raw[:4] == bytes.fromhex("9F3881C8")
    assert parse_ber(raw) == [Tlv(0x9F38, bytes(200))]


@pytest.mark.parametrize("hexstr", ["6F", "6F05AABB", "9F", "6F8201", "6F80"])
def test_ber_truncation_is_refused(hexstr: str) -> None:
    with pytest.raises(MalformedTlv):
        parse_ber(bytes.fromhex(hexstr))


def test_simple_tlv_three_byte_length() -> None:
    raw = build_simple(0x01, bytes(300))
    assert raw[:4] == bytes.fromhex("01FF012C")
    assert parse_simple(raw) == [(0x01, bytes(300))]


def test_simple_tlv_fault_keeps_what_came_before() -> None:
    with pytest.raises(SimpleTlvError) as info:
        parse_simple(bytes.fromhex("020133" "0304322E30"))
    assert info.value.parsed == [(0x02, b"3")]


@pytest.mark.parametrize("tag", [0x00, 0xFF])
def test_simple_tlv_invalid_tags(tag: int) -> None:
    with pytest.raises(MalformedTlv):
        build_simple(tag, b"")


simple_objects = st.lists(st.tuples(st.integers(1, 0xFE), st.binary(max_size=400)), max_size=8)


@given(simple_objects)
def test_simple_round_trip(objects: list) -> None:
    raw = b"".join(build_simple(t, v) for t, v in objects)
    assert parse_simple(raw) == objects


ber_tags = st.integers(1, 0x1E) | st.integers(0x9F01, 0x9F7F).filter(lambda t: t & 0x80 == 0)


@given(st.lists(st.tuples(ber_tags, st.binary(max_size=300)), max_size=6))
def test_ber_round_trip(objects: list) -> None:
    raw = b"".join(build_ber(t, v) for t, v in objects)
    assert [(o.tag, o.value) for o in parse_ber(raw)] == objects


@given(st.binary(max_size=200))
def test_parsers_fail_only_with_typed_errors(raw: bytes) -> None:
    for parse in (parse_ber, parse_simple):
        try:
            parse(raw)
        except MalformedTlv:
            pass
