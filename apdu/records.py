"""The basic-data records of EF05 and EF06 (spec §2): item table, value codecs, parser.

Parsing never fails on odd values: anything that does not follow the spec (ASCII dates,
short versions, bad check characters) is kept as found and listed in `anomalies`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import profile
from .atr import Atr
from .errors import InvalidAtr
from .tlv import SimpleTlvError, build_simple, parse_simple


@dataclass(frozen=True)
class DataItem:
    tag: int
    key: str
    title: str
    kind: str  # "cn" (BCD, F-padded) or "an" (text/bytes, 00-padded)
    length: int
    fid: int
    required: bool = True


ITEMS: tuple[DataItem, ...] = (
    DataItem(0x01, "card_id", "卡的识别码", "cn", 16, profile.EF05_FID),
    DataItem(0x02, "category", "卡的类别", "an", 1, profile.EF05_FID),
    DataItem(0x03, "spec_version", "规范版本", "an", 4, profile.EF05_FID),
    DataItem(0x04, "init_org", "初始化机构编号", "cn", 12, profile.EF05_FID),
    DataItem(0x05, "issue_date", "发卡日期", "cn", 4, profile.EF05_FID),
    DataItem(0x06, "expiry_date", "卡有效期", "cn", 4, profile.EF05_FID),
    DataItem(0x07, "card_number", "卡号", "an", 9, profile.EF05_FID),
    DataItem(0x08, "ssn", "社会保障号码", "an", 18, profile.EF06_FID),
    DataItem(0x09, "name", "姓名", "an", 30, profile.EF06_FID),
    DataItem(0x4E, "name_ext", "姓名扩展", "an", 20, profile.EF06_FID, required=False),
    DataItem(0x0A, "sex", "性别", "an", 1, profile.EF06_FID),
    DataItem(0x0B, "nation", "民族", "cn", 1, profile.EF06_FID),
    DataItem(0x0C, "birthplace", "出生地", "cn", 3, profile.EF06_FID),
    DataItem(0x0D, "birth_date", "出生日期", "cn", 4, profile.EF06_FID),
)
BY_TAG = {item.tag: item for item in ITEMS}
BY_KEY = {item.key: item for item in ITEMS}

CATEGORIES = {"1": "preschool", "2": "student", "3": "adult", "4": "elderly"}
SEXES = {"1": "male", "2": "female", "9": "unspecified"}
SPEC_VERSIONS = frozenset({"1.00", "2.00", "3.00"})


def items_of(fid: int) -> tuple[DataItem, ...]:
    return tuple(item for item in ITEMS if item.fid == fid)


def usual_file_length(fid: int) -> int:
    """Bytes of a conforming file's records read in one go (items padded to their length, no 4E)."""
    return sum(2 + item.length for item in items_of(fid) if item.required)


# --- value codecs --------------------------------------------------------------------------
def bcd_encode(digits: str, length: int) -> bytes:
    """Left-aligned BCD, `F`-padded to `length` bytes."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"BCD value must be decimal digits, got {digits!r}")
    if len(digits) > 2 * length:
        raise ValueError(f"{digits!r} does not fit in {length} BCD bytes")
    return bytes.fromhex(digits.ljust(2 * length, "F"))


def bcd_decode(data: bytes) -> str | None:
    """Digits up to the `F` padding, or None when a nibble is not a digit (or F inside)."""
    text = data.hex().upper().rstrip("F")
    return text if text.isdigit() or text == "" else None


def an_encode(text: str | bytes, length: int) -> bytes:
    raw = text.encode("gbk") if isinstance(text, str) else bytes(text)
    if len(raw) > length:
        raise ValueError(f"{len(raw)} bytes do not fit in an item of {length}")
    return raw.ljust(length, b"\x00")


def an_decode(data: bytes) -> tuple[str, str | None]:
    """GBK text with the `00` padding removed; a problem string when it is not clean text."""
    raw = data.rstrip(b"\x00")
    try:
        text = raw.decode("gbk")
    except UnicodeDecodeError:
        return raw.hex().upper(), "not valid GBK text (shown as hex)"
    if any(not ch.isprintable() for ch in text):
        return raw.hex().upper(), "holds control characters (shown as hex)"
    return text, None


def encode_item(tag: int, value: str | bytes) -> bytes:
    """One record: SIMPLE-TLV of an item padded to its defined length.

    `cn` items take a digit string (or raw bytes for the card id); `an` items take text or bytes.
    """
    item = BY_TAG[tag]
    if item.kind == "cn":
        body = bytes(value) if isinstance(value, bytes) else bcd_encode(value, item.length)
        if len(body) != item.length:
            raise ValueError(f"{item.key} must be {item.length} bytes")
    else:
        body = an_encode(value, item.length)
    return build_simple(tag, body)


def date_decode(data: bytes) -> tuple[str, str | None]:
    """A cn YYYYMMDD date; ASCII or other odd forms are returned as found with a problem."""
    digits = bcd_decode(data)
    if digits is not None and len(digits) == 8:
        try:
            dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            return digits, None
        except ValueError:
            pass
    raw = data.rstrip(b"\x00")
    if raw and all(0x20 <= b < 0x7F for b in raw):
        return raw.decode("ascii"), "ASCII text instead of a BCD YYYYMMDD date"
    return data.hex().upper(), "not a valid BCD YYYYMMDD date (shown as hex)"


def parse_date(text: str) -> dt.date | None:
    if len(text) == 8 and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None


def _char_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"card number character {ch!r} is neither a digit nor A-Z")


def card_number_check_char(first8: str) -> str:
    """Check character of a card number [spec]: weights 3 7 9 10 5 8 4 2, C = 11 - sum mod 11."""
    if len(first8) != 8:
        raise ValueError("a card number has 8 characters before its check character")
    total = sum(_char_value(ch) * w for ch, w in zip(first8.upper(), (3, 7, 9, 10, 5, 8, 4, 2)))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def ssn_check_char(first17: str) -> str:
    """Check character of the 18-character citizen ID number (ISO 7064 MOD 11-2, GB 11643)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("an ID number has 17 digits before its check character")
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def card_number_valid(number: str) -> bool:
    try:
        return len(number) == 9 and card_number_check_char(number[:8]) == number[8].upper()
    except ValueError:
        return False


def ssn_valid(ssn: str) -> bool:
    try:
        return len(ssn) == 18 and ssn_check_char(ssn[:17]) == ssn[17].upper()
    except ValueError:
        return False


# --- the parsed basic information ----------------------------------------------------------
@dataclass
class BasicInfo:
    """Card identification and holder basic information as read from EF05 and EF06."""

    card_id: str = ""
    region: str = ""
    category: str = ""
    spec_version: str = ""
    init_org: str = ""
    issue_date: str = ""
    expiry_date: str = ""
    card_number: str = ""
    ssn: str = ""
    name: str = ""
    sex: str = ""
    nation: str = ""
    birthplace: str = ""
    birth_date: str = ""
    atr: str = ""
    anomalies: list[str] = field(default_factory=list)

    @property
    def expiry(self) -> dt.date | None:
        return parse_date(self.expiry_date)

    def is_expired(self, today: dt.date) -> bool:
        expiry = self.expiry
        return expiry is not None and today > expiry

    @property
    def category_text(self) -> str:
        return CATEGORIES.get(self.category, "unknown")

    @property
    def sex_text(self) -> str:
        return SEXES.get(self.sex, "unknown")

    @property
    def historical_bytes(self) -> str:
        """ATR historical bytes (卡复位信息) as upper-case hex, when the ATR parses."""
        try:
            return Atr.parse(bytes.fromhex(self.atr)).historical.hex().upper()
        except (InvalidAtr, ValueError):
            return ""


def split_records(data: bytes) -> tuple[list[tuple[int, bytes]], str | None]:
    """SIMPLE-TLV objects of one or more records; on a fault, those before it and the problem."""
    try:
        return parse_simple(data), None
    except SimpleTlvError as exc:
        return exc.parsed, str(exc)


def parse_basic_info(objects: list[tuple[int, bytes]], atr: bytes = b"") -> BasicInfo:
    """Build `BasicInfo` from the (tag, value) objects of EF05 and EF06, flagging every oddity."""
    info = BasicInfo(atr=atr.hex().upper())
    problems = info.anomalies
    seen: dict[int, bytes] = {}
    for tag, value in objects:
        if tag in seen:
            problems.append(f"item {tag:02X} appears more than once; the first is used")
            continue
        seen[tag] = value
    for item in ITEMS:
        value = seen.get(item.tag)
        if value is None:
            if item.required:
                problems.append(f"{item.key} ({item.title}) is missing")
            continue
        if len(value) != item.length and item.tag not in (0x4E,):
            problems.append(f"{item.key} is {len(value)} bytes, the spec says {item.length}")
        text, problem = _decode(item, value)
        if problem:
            problems.append(f"{item.key}: {problem}")
        if item.key == "name_ext":
            info.name += text
        else:
            setattr(info, item.key, text)
    for tag in sorted(set(seen) - set(BY_TAG)):
        problems.append(f"unknown item {tag:02X} ignored")
    card_id = seen.get(0x01)
    if card_id is not None and len(card_id) == 16:
        info.region = bcd_decode(card_id[:3]) or card_id[:3].hex().upper()
        if card_id[3:8] != profile.CARD_ID_RID:
            problems.append("card_id does not carry the social security RID D156000005")
    if info.card_number and not card_number_valid(info.card_number):
        problems.append("card_number: check character does not match")
    if info.ssn and not ssn_valid(info.ssn):
        problems.append("ssn: check character does not match")
    if info.category and info.category not in CATEGORIES:
        problems.append(f"category {info.category!r} is not 1-4")
    if info.sex and info.sex not in SEXES:
        problems.append(f"sex {info.sex!r} is not 1, 2 or 9")
    if info.spec_version and info.spec_version not in SPEC_VERSIONS:
        problems.append(f"spec_version {info.spec_version!r} is not one of 1.00, 2.00, 3.00")
    return info


def _decode(item: DataItem, value: bytes) -> tuple[str, str | None]:
    if item.key in ("issue_date", "expiry_date", "birth_date"):
        return date_decode(value)
    if item.key in ("card_id", "init_org"):
        return value.hex().upper(), None
    if item.kind == "cn":
        digits = bcd_decode(value)
        return (digits, None) if digits is not None else (value.hex().upper(), "not valid BCD (shown as hex)")
    return an_decode(value)


__all__ = [
    "BasicInfo",
    "DataItem",
    "ITEMS",
    "encode_item",
    "parse_basic_info",
    "split_records",
]
