"""The protocol layer (61xx/6Cxx) and the card session's reading strategy."""

from __future__ import annotations


import pytest

from apdu import commands, profile
from apdu.command import Command
from apdu.pin import Pin
from apdu.status import PinBlocked, WrongPin
from emulator.card import SocialSecurityCard
from terminal.channel import CardChannel
from terminal.errors import NotSocialSecurityCard, ProtocolError
from terminal.inprocess import InProcessTransport
from terminal.session import CardSession
from terminal.transport import Transport
from tests.conftest import make_state


class Scripted(Transport):
    """A transport that answers from a script and remembers what it was sent."""

    def __init__(self, answers: list[str], atr: str = "3B6D00000081544C928684210100000001") -> None:
        self.answers = [bytes.fromhex(a) for a in answers]
        self.sent: list[bytes] = []
        self._atr = bytes.fromhex(atr)

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    @property
    def atr(self) -> bytes:
        return self._atr

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(bytes(apdu))
        return self.answers.pop(0)


def test_61xx_is_collected_with_get_response() -> None:
    t = Scripted(["6104", "AABB6102", "CCDD9000"])
    r = CardChannel(t).send(Command(0, 0xCA, 0, 0, le=256))
    assert r.data == bytes.fromhex("AABBCCDD") and r.sw == 0x9000
    assert t.sent[1:] == [bytes.fromhex("00C0000004"), bytes.fromhex("00C0000002")]


def test_61xx_to_a_command_without_le_is_success_without_fetching() -> None:
    t = Scripted(["6118"])
    r = CardChannel(t).send(commands.select_by_name(profile.SSSE_NAME))
    assert r.sw == 0x6118 and len(t.sent) == 1


def test_6cxx_reissues_once_with_the_right_le() -> None:
    t = Scripted(["6C40", "00" * 0x40 + "9000"])
    data = CardChannel(t).call(commands.read_file_by_sfi(5))
    assert len(data) == 0x40 and t.sent[1] == bytes.fromhex("00B2012D40")


def test_expected_length_is_sent_as_le_on_t0_only() -> None:
    t0 = Scripted(["9000"])
    CardChannel(t0).send(commands.read_file_by_sfi(5), expect=64)
    assert t0.sent == [bytes.fromhex("00B2012D40")]
    t1 = Scripted(["9000"], atr="3BED00008131FE450081544C928684210100000001CE")
    CardChannel(t1).send(commands.read_file_by_sfi(5), expect=64)
    assert t1.sent == [bytes.fromhex("00B2012D00")]


def test_pin_command_is_never_reissued() -> None:
    t = Scripted(["6C03", "9000"])
    r = CardChannel(t).send(commands.verify(Pin("123456")).with_le(3))
    assert r.sw == 0x6C03 and len(t.sent) == 1


def test_endless_61xx_chain_is_a_protocol_error() -> None:
    t = Scripted(["6101"] * 100)
    with pytest.raises(ProtocolError):
        CardChannel(t).send(Command(0, 0xCA, 0, 0, le=256))


def _session(protocol: int = 0, **kw) -> tuple[CardSession, SocialSecurityCard]:
    card = SocialSecurityCard(make_state(protocol=protocol, **kw))
    transport = InProcessTransport(card)
    transport.connect()
    return CardSession(transport), card


@pytest.mark.parametrize("protocol", [0, 1])
def test_read_basic_info_takes_three_apdus(protocol: int) -> None:
    session, _ = _session(protocol, name="王五", card_number="X00000019")
    info = session.read_basic_info()
    assert info.name == "王五" and info.card_number == "X00000019" and info.anomalies == []
    assert session.channel.exchanges == 3


def test_long_name_costs_one_6c_round_trip_on_t0() -> None:
    session, _ = _session(0, name="阿" * 20)
    info = session.read_basic_info()
    assert info.name == "阿" * 20
    assert session.channel.exchanges == 4


@pytest.mark.parametrize("off, unsupported_sw, exchanges", [
    (("read_by_sfi",), 0x6A86, 7),  # select SSSE + (by SFI, select EF, read all) per file
    (("read_by_sfi", "read_all"), 0x6A81, 1 + 2 * 3 + 7 + 7),  # then item by item (the absent 4E costs one)
    (("read_by_sfi", "read_all", "read_by_tag"), 0x6D00, None),
    (("read_by_sfi", "read_all", "read_by_tag"), 0x6B00, None),
])
def test_read_falls_back_to_the_forms_the_card_has(off: tuple, unsupported_sw: int, exchanges: int | None) -> None:
    session, card = _session(1)
    for feature in off:
        card.state.features[feature] = False
    card.state.unsupported_sw = unsupported_sw
    info = session.read_basic_info()
    assert info.anomalies == [] and info.card_number == "X00000019" and info.name == "张三"
    if exchanges is not None:
        assert session.channel.exchanges == exchanges


def test_card_without_the_application_is_refused() -> None:
    t = Scripted(["6A82"])
    with pytest.raises(NotSocialSecurityCard):
        CardSession(t).read_basic_info()


def test_verify_and_change_through_the_session() -> None:
    session, card = _session(0)
    with pytest.raises(WrongPin) as info:
        session.verify_pin(Pin("000000"))
    assert info.value.remaining == 5
    session.verify_pin(Pin("123456"))
    session.change_pin(Pin("123456"), Pin("246810"))
    session.verify_pin(Pin("246810"))
    for _ in range(6):
        with pytest.raises(WrongPin):
            session.verify_pin(Pin("000000"))
    with pytest.raises(PinBlocked):
        session.verify_pin(Pin("246810"))


def test_pin_buffers_are_wiped_after_sending() -> None:
    session, _ = _session(0)
    sent: list[Command] = []
    real = commands.verify

    def spy(pin: Pin) -> Command:
        sent.append(real(pin))
        return sent[-1]

    import terminal.session as module

    original = module.commands.verify
    module.commands.verify = spy  # type: ignore[assignment]
    try:
        session.verify_pin(Pin("123456"))
    finally:
        module.commands.verify = original  # type: ignore[assignment]
    assert bytes(sent[0].data) == b"\x00\x00\x00"
