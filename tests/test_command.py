import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu.command import Command
from apdu.errors import MalformedCommand


@pytest.mark.parametrize(
    "hexstr, case, data, le",
    [
        ("00A40400", 1, b"", None),
        ("00B2012D40", 2, b"", 0x40),
        ("00B2012D00", 2, b"", 256),
        ("0020000003123456", 3, bytes.fromhex("123456"), None),
        ("00A4040002DDF100", 4, bytes.fromhex("DDF1"), 256),
        ("00B20105000100", 2, b"", 256),
        ("00B2010500FFFF", 2, b"", 0xFFFF),
        ("00B2010500000000", None, None, None),  # extended Lc 0 with more bytes: malformed
    ],
)
def test_decode_cases(hexstr: str, case: int | None, data: bytes | None, le: int | None) -> None:
    raw = bytes.fromhex(hexstr)
    if case is None:
        with pytest.raises(MalformedCommand):
            Command.decode(raw)
        return
    cmd = Command.decode(raw)
    assert cmd.case == case and bytes(cmd.data) == data and cmd.le == le
    assert cmd.encode() == raw


def test_extended_case_4_round_trip() -> None:
    cmd = Command(0x00, 0xD6, 0, 0, bytes(300), 1000)
    raw = cmd.encode()
    assert raw[4] == 0 and raw[5:7] == (300).to_bytes(2, "big") and raw[-2:] == (1000).to_bytes(2, "big")
    assert Command.decode(raw) == cmd


def test_extended_le_65536_encodes_as_zero() -> None:
    assert Command(0, 0xB0, 0, 0, le=65536).encode() == bytes.fromhex("00B00000000000")


@pytest.mark.parametrize(
    "hexstr",
    ["", "00", "00A404", "00A404000300", "00A40400020102030405", "00A404000001", "00A40400000003AABB"],
)
def test_malformed_commands_are_refused(hexstr: str) -> None:
    with pytest.raises(MalformedCommand):
        Command.decode(bytes.fromhex(hexstr))


@pytest.mark.parametrize("kwargs", [dict(cla=256), dict(ins=-1), dict(le=0), dict(le=65537), dict(data=bytes(65536))])
def test_invalid_fields_are_refused(kwargs: dict) -> None:
    base = dict(cla=0, ins=0xA4, p1=0, p2=0)
    base.update(kwargs)
    with pytest.raises(MalformedCommand):
        Command(**base)


def test_sensitive_command_repr_hides_data() -> None:
    cmd = Command(0, 0x20, 0, 0, bytes.fromhex("123456"), sensitive=True)
    assert "123456" not in repr(cmd)


commands = st.builds(
    Command,
    cla=st.integers(0, 255),
    ins=st.integers(0, 255),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    data=st.binary(max_size=600),
    le=st.none() | st.integers(1, 65536),
    extended=st.booleans(),
)


@given(commands)
def test_round_trip(cmd: Command) -> None:
    decoded = Command.decode(cmd.encode())
    assert decoded == cmd
    assert decoded.encode() == cmd.encode()


@given(st.binary(max_size=300))
def test_decode_never_fails_untyped(raw: bytes) -> None:
    try:
        cmd = Command.decode(raw)
    except MalformedCommand:
        return
    assert cmd.encode() == raw
