"""Builders for the card's commands (spec §2-§3), and which commands carry a PIN.

PIN-bearing builders take a `Pin`, put its BCD digits in a bytearray the caller wipes after
transmission, and mark the command `sensitive` for traces and recordings.
"""

from __future__ import annotations

from .command import Command
from .pin import Pin

INS_VERIFY = 0x20
INS_CHANGE_PIN = 0x5E
INS_PIN_UNBLOCK = 0x24
INS_RESET_RETRY_COUNTER = 0x2C
INS_SELECT = 0xA4
INS_READ_RECORD = 0xB2
INS_GET_RESPONSE = 0xC0
INS_GET_CHALLENGE = 0x84
INS_EXTERNAL_AUTHENTICATE = 0x82
INS_READ_BINARY = 0xB0
INS_PSAM_INIT = 0x1A
INS_PSAM_COMPUTE = 0xFA

#: Instructions whose data may carry a PIN or PIN block (FA: PSAM computations, which encrypt
#: the clear PIN block): redacted from traces, never recorded.
PIN_BEARING_INS = frozenset({INS_VERIFY, INS_CHANGE_PIN, INS_PIN_UNBLOCK, INS_RESET_RETRY_COUNTER, 0x21, 0xFA})

# READ RECORD P2 low bits [ISO 7816-4]
P2_BY_NUMBER = 0x04
P2_FROM_P1_TO_LAST = 0x05
P2_FIRST_OCCURRENCE = 0x00


def is_pin_bearing(apdu: Command | bytes | bytearray) -> bool:
    """True for a command that may carry a PIN: by its flag, or by its INS as a safety net."""
    if isinstance(apdu, Command):
        return apdu.sensitive or apdu.ins in PIN_BEARING_INS
    return len(apdu) >= 2 and apdu[1] in PIN_BEARING_INS


def select_by_name(name: bytes, le: int | None = None) -> Command:
    """`00 A4 04 00 Lc name`: the form every driver sends first [field]."""
    return Command(0x00, INS_SELECT, 0x04, 0x00, name, le)


def select_file(fid: int) -> Command:
    """`00 A4 00 00 02 FID`: select an EF (or DF) under the current DF."""
    return Command(0x00, INS_SELECT, 0x00, 0x00, fid.to_bytes(2, "big"))


def read_record(p1: int, p2: int, le: int = 256) -> Command:
    return Command(0x00, INS_READ_RECORD, p1, p2, le=le)


def read_file_by_sfi(sfi: int, le: int = 256) -> Command:
    """All records from the first to the last of the EF with this SFI, in one command."""
    return read_record(0x01, (sfi << 3) | P2_FROM_P1_TO_LAST, le)


def read_current_file(le: int = 256) -> Command:
    """All records of the currently selected EF."""
    return read_record(0x01, P2_FROM_P1_TO_LAST, le)


def read_record_by_tag(tag: int, le: int = 256) -> Command:
    """First record of the current EF whose identifier (= tag) is `tag`."""
    return read_record(tag, P2_FIRST_OCCURRENCE, le)


def read_record_by_number(number: int, sfi: int = 0, le: int = 256) -> Command:
    return read_record(number, (sfi << 3) | P2_BY_NUMBER, le)


def get_response(length: int) -> Command:
    return Command(0x00, INS_GET_RESPONSE, 0x00, 0x00, le=length)


def verify(pin: Pin) -> Command:
    """`00 20 00 00 03 <PIN BCD>`."""
    return Command(0x00, INS_VERIFY, 0x00, 0x00, pin.bcd(), sensitive=True)


def change_pin(old: Pin, new: Pin) -> Command:
    """`80 5E 01 00 07 <old BCD> FF <new BCD>`."""
    data = old.bcd()
    data.append(0xFF)
    new_bcd = new.bcd()
    data += new_bcd
    new_bcd[:] = bytes(len(new_bcd))
    return Command(0x80, INS_CHANGE_PIN, 0x01, 0x00, data, sensitive=True)


def verify_template() -> Command:
    """VERIFY with the PIN bytes zeroed: what a secure PIN pad fills in (PIN at data offset 0)."""
    return Command(0x00, INS_VERIFY, 0x00, 0x00, bytes(3), sensitive=True)


#: Offsets of the old and new PIN inside CHANGE PIN's data (old ‖ FF ‖ new).
CHANGE_PIN_OFFSETS = (0, 4)


def change_pin_template() -> Command:
    """CHANGE PIN with both PINs zeroed, for a secure PIN pad."""
    return Command(0x80, INS_CHANGE_PIN, 0x01, 0x00, bytes(3) + b"\xff" + bytes(3), sensitive=True)


def wipe(command: Command) -> None:
    """Zero a sensitive command's data buffer once it has been sent."""
    if isinstance(command.data, bytearray):
        command.data[:] = bytes(len(command.data))


# --- PIN maintenance with a PSAM (spec §3, §5) -------------------------------------------------
def get_challenge(length: int) -> Command:
    """`00 84 00 00 Le`: 8 bytes on 3DES cards, 16 on SM4 cards."""
    return Command(0x00, INS_GET_CHALLENGE, 0x00, 0x00, le=length)


def external_authenticate(key_id: int, cryptogram: bytes, factor: bytes) -> Command:
    """`00 82 00 <key id> 10 <cryptogram 8> <authentication factor 8>`."""
    return Command(0x00, INS_EXTERNAL_AUTHENTICATE, 0x00, key_id, bytes(cryptogram) + bytes(factor))


def pin_unblock_header(reset: bool, data_length: int) -> bytes:
    """The header the MAC covers: `84 24 00 P2 Lc` with the final Lc (data and the 4-byte MAC)."""
    return bytes((0x84, INS_PIN_UNBLOCK, 0x00, 0x01 if reset else 0x00, data_length + 4))


def pin_reset(encrypted_block: bytes, mac: bytes) -> Command:
    """重置: `84 24 00 01 Lc <encrypted PIN block> <MAC 4>`."""
    return Command(0x84, INS_PIN_UNBLOCK, 0x00, 0x01, bytes(encrypted_block) + bytes(mac), sensitive=True)


def pin_unblock(mac: bytes) -> Command:
    """解锁: `84 24 00 00 04 <MAC 4>`."""
    return Command(0x84, INS_PIN_UNBLOCK, 0x00, 0x00, bytes(mac), sensitive=True)


def read_binary_sfi(sfi: int, length: int, offset: int = 0) -> Command:
    return Command(0x00, INS_READ_BINARY, 0x80 | sfi, offset, le=length)


def psam_init(usage: int, key_id: int, data: bytes) -> Command:
    """`80 1A <usage> <key id> Lc <factors [‖ challenge]>`: load a diversified (session) key."""
    return Command(0x80, INS_PSAM_INIT, usage, key_id, bytes(data))


def psam_compute(p1: int, data: bytes | bytearray, le: int, sensitive: bool = False) -> Command:
    """`80 FA <P1> 00 Lc <data> Le`: encrypt (P1 00) or MAC (P1 05) under the loaded key."""
    return Command(0x80, INS_PSAM_COMPUTE, p1, 0x00, data, le, sensitive=sensitive)
