import pytest

from apdu import status
from apdu.errors import MalformedResponse
from apdu.response import Response


def test_response_decode() -> None:
    r = Response.decode(bytes.fromhex("01029000"))
    assert r.data == b"\x01\x02" and r.sw == 0x9000
    assert r.encode() == bytes.fromhex("01029000")


@pytest.mark.parametrize("raw", [b"", b"\x90"])
def test_truncated_response_is_typed(raw: bytes) -> None:
    with pytest.raises(MalformedResponse, match="truncated"):
        Response.decode(raw)


@pytest.mark.parametrize(
    "sw, cls",
    [
        (0x6983, status.PinBlocked),
        (0x6A82, status.FileNotFound),
        (0x6982, status.SecurityStatusNotSatisfied),
        (0x6985, status.ConditionsNotSatisfied),
        (0x6700, status.WrongLength),
        (0x6A86, status.IncorrectP1P2),
        (0x6B00, status.WrongP1P2),
        (0x6D00, status.InsNotSupported),
        (0x6E00, status.ClaNotSupported),
        (0x6A83, status.RecordNotFound),
        (0x6988, status.MacIncorrect),
        (0x6283, status.ApplicationBlocked),
        (0x1234, status.UnknownStatus),
    ],
)
def test_catalogue_maps_each_sw_to_its_exception(sw: int, cls: type) -> None:
    with pytest.raises(cls) as info:
        status.raise_for_status(sw)
    assert info.value.sw == sw
    assert f"{sw:04X}" in str(info.value)


def test_wrong_pin_carries_remaining_tries() -> None:
    with pytest.raises(status.WrongPin) as info:
        status.raise_for_status(0x63C3)
    assert info.value.remaining == 3
    assert "3 tries left" in str(info.value)
    assert "还可尝试3次" in info.value.message_chinese


def test_wrong_pin_that_blocks() -> None:
    error = status.error_for(0x63C0)
    assert isinstance(error, status.WrongPin) and error.remaining == 0
    assert "blocked" in str(error)


@pytest.mark.parametrize("sw", [0x9000, 0x6110, 0x6100])
def test_success_words(sw: int) -> None:
    assert status.error_for(sw) is None


def test_6cxx_reaching_caller_names_the_length() -> None:
    error = status.error_for(0x6C40)
    assert isinstance(error, status.WrongLe) and error.correct_le == 0x40


def test_describe() -> None:
    assert status.describe(0x9000) == "success"
    assert status.describe(0x6118) == "24 response bytes waiting"
    assert status.describe(0x63C5) == "wrong PIN, 5 tries left"
