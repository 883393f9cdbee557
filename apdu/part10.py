"""PC/SC Part 10 secure PIN entry structures, byte for byte (pure: no I/O).

PIN_VERIFY_STRUCTURE has a 19-byte header and PIN_MODIFY_STRUCTURE a 24-byte one, multi-byte
fields little-endian, then the APDU template. Both sides use these codecs: the terminal to
build what it sends, the virtual PIN-pad reader of the tests to parse it strictly.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import SscardError

# Feature tags (PC/SC Part 10)
FEATURE_VERIFY_PIN_START = 0x01
FEATURE_VERIFY_PIN_FINISH = 0x02
FEATURE_MODIFY_PIN_START = 0x03
FEATURE_MODIFY_PIN_FINISH = 0x04
FEATURE_GET_KEY_PRESSED = 0x05
FEATURE_VERIFY_PIN_DIRECT = 0x06
FEATURE_MODIFY_PIN_DIRECT = 0x07
FEATURE_IFD_PIN_PROPERTIES = 0x0A
FEATURE_ABORT = 0x0B
FEATURE_GET_TLV_PROPERTIES = 0x12

# Reader pseudo status words after a secure PIN entry
SW_TIMEOUT = 0x6400
SW_CANCELLED = 0x6401
SW_PINS_DIFFER = 0x6402
SW_LENGTH_OUT_OF_RANGE = 0x6403
SW_BAD_STRUCTURE = 0x6B80

# bmFormatString
FORMAT_UNITS_BYTES = 0x80
FORMAT_RIGHT_JUSTIFY = 0x04
ENCODING_BINARY, ENCODING_BCD, ENCODING_ASCII = 0x00, 0x01, 0x02

# bEntryValidationCondition
VALIDATE_MAX_SIZE, VALIDATE_KEY, VALIDATE_TIMEOUT = 0x01, 0x02, 0x04

# bConfirmPIN
CONFIRM_NEW = 0x01
ENTER_CURRENT = 0x02

VERIFY_HEADER = struct.Struct("<BBBBBHBBHB3sI")
MODIFY_HEADER = struct.Struct("<BBBBBBBHBBBHBBB3sI")
assert VERIFY_HEADER.size == 19 and MODIFY_HEADER.size == 24


class Part10Error(SscardError, ValueError):
    """A malformed feature list or PIN structure."""


def parse_features(data: bytes) -> dict[int, int]:
    """The answer to CM_IOCTL_GET_FEATURE_REQUEST: 6-byte entries tag, 04, control code (big-endian)."""
    if len(data) % 6:
        raise Part10Error(f"feature list of {len(data)} bytes is not a whole number of 6-byte entries")
    features = {}
    for i in range(0, len(data), 6):
        tag, length = data[i], data[i + 1]
        if length != 4:
            raise Part10Error(f"feature {tag:02X} has length {length}, expected 4")
        features[tag] = int.from_bytes(data[i + 2 : i + 6], "big")
    return features


def build_features(features: dict[int, int]) -> bytes:
    return b"".join(bytes((tag, 4)) + code.to_bytes(4, "big") for tag, code in features.items())


def parse_tlv_properties(data: bytes) -> dict[int, int]:
    """GET_TLV_PROPERTIES: tag (1), length (1), value little-endian."""
    out, i = {}, 0
    while i < len(data):
        if i + 2 > len(data) or i + 2 + data[i + 1] > len(data):
            raise Part10Error("TLV properties run past the end")
        tag, length = data[i], data[i + 1]
        out[tag] = int.from_bytes(data[i + 2 : i + 2 + length], "little")
        i += 2 + length
    return out


@dataclass(frozen=True)
class PinFormat:
    """How the reader writes the PIN into the APDU: the fields both structures share."""

    format_string: int = FORMAT_UNITS_BYTES | ENCODING_BCD  # bytes, position 0, left, BCD
    pin_block_string: int = 0x03  # no length field; PIN block of 3 bytes
    pin_length_format: int = 0x00
    min_digits: int = 6
    max_digits: int = 6

    @property
    def encoding(self) -> int:
        return self.format_string & 0x03

    @property
    def position(self) -> int:
        """Offset of the PIN inside the APDU data (after the 5-byte header), in the structure's units."""
        return (self.format_string >> 3) & 0x0F

    @property
    def block_size(self) -> int:
        return self.pin_block_string & 0x0F

    @property
    def max_extra_digit(self) -> int:
        return (self.min_digits << 8) | self.max_digits


@dataclass(frozen=True)
class PinVerifyStructure:
    template: bytes
    pin: PinFormat = PinFormat()
    timeout: int = 30
    timeout2: int = 0
    validation: int = VALIDATE_KEY
    messages: int = 1
    lang_id: int = 0x0804  # zh-CN
    msg_index: int = 0
    teo_prologue: bytes = b"\x00\x00\x00"

    def encode(self) -> bytes:
        return VERIFY_HEADER.pack(
            self.timeout, self.timeout2, self.pin.format_string, self.pin.pin_block_string,
            self.pin.pin_length_format, self.pin.max_extra_digit, self.validation, self.messages,
            self.lang_id, self.msg_index, self.teo_prologue, len(self.template),
        ) + self.template

    @classmethod
    def decode(cls, data: bytes) -> "PinVerifyStructure":
        if len(data) < VERIFY_HEADER.size:
            raise Part10Error(f"PIN_VERIFY_STRUCTURE needs {VERIFY_HEADER.size} header bytes, got {len(data)}")
        (t1, t2, fmt, block, length_fmt, extra, validation, messages, lang, index, teo, n) = VERIFY_HEADER.unpack_from(data)
        template = data[VERIFY_HEADER.size :]
        if n != len(template):
            raise Part10Error(f"ulDataLength {n} does not match the {len(template)} template bytes")
        return cls(template, PinFormat(fmt, block, length_fmt, extra >> 8, extra & 0xFF), t1, t2, validation,
                   messages, lang, index, teo)


@dataclass(frozen=True)
class PinModifyStructure:
    template: bytes
    offset_old: int
    offset_new: int
    pin: PinFormat = PinFormat()
    confirm: int = ENTER_CURRENT | CONFIRM_NEW
    timeout: int = 30
    timeout2: int = 0
    validation: int = VALIDATE_KEY
    messages: int = 3
    lang_id: int = 0x0804
    msg_index: tuple[int, int, int] = (0, 1, 2)
    teo_prologue: bytes = b"\x00\x00\x00"

    def encode(self) -> bytes:
        return MODIFY_HEADER.pack(
            self.timeout, self.timeout2, self.pin.format_string, self.pin.pin_block_string,
            self.pin.pin_length_format, self.offset_old, self.offset_new, self.pin.max_extra_digit,
            self.confirm, self.validation, self.messages, self.lang_id, *self.msg_index,
            self.teo_prologue, len(self.template),
        ) + self.template

    @classmethod
    def decode(cls, data: bytes) -> "PinModifyStructure":
        if len(data) < MODIFY_HEADER.size:
            raise Part10Error(f"PIN_MODIFY_STRUCTURE needs {MODIFY_HEADER.size} header bytes, got {len(data)}")
        (t1, t2, fmt, block, length_fmt, off_old, off_new, extra, confirm, validation, messages, lang,
         i1, i2, i3, teo, n) = MODIFY_HEADER.unpack_from(data)
        template = data[MODIFY_HEADER.size :]
        if n != len(template):
            raise Part10Error(f"ulDataLength {n} does not match the {len(template)} template bytes")
        return cls(template, off_old, off_new, PinFormat(fmt, block, length_fmt, extra >> 8, extra & 0xFF),
                   confirm, t1, t2, validation, messages, lang, (i1, i2, i3), teo)


def insert_pin(template: bytearray, offset: int, pin: PinFormat, digits: bytes | bytearray) -> None:
    """Write `digits` (ASCII) into the APDU template as the structure says (what a reader does)."""
    data_start = 5
    position = data_start + offset + pin.position
    if pin.encoding == ENCODING_BCD:
        nibbles = [d - 0x30 for d in digits]
        if len(nibbles) % 2:
            nibbles.append(0x0F)
        encoded = bytes((nibbles[i] << 4) | nibbles[i + 1] for i in range(0, len(nibbles), 2))
    elif pin.encoding == ENCODING_ASCII:
        encoded = bytes(digits)
    else:
        encoded = bytes(d - 0x30 for d in digits)
    if len(encoded) > pin.block_size or position + pin.block_size > len(template):
        raise Part10Error("the PIN does not fit the block the structure describes")
    template[position : position + len(encoded)] = encoded
