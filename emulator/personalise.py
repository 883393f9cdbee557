"""Personalisation: turn a holder's data into a card state, as an issuing bureau would.

Every field has a valid default, so `sscard card new card.json` alone gives a usable card.
Records are written in the 2nd-generation order (record n of EF05 holds tag n; EF06 holds
08..0D), with 4E only when a name needs more than 30 bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass

from apdu import profile
from apdu.atr import Atr, build_atr
from apdu.crypto import diversify_levels, factors
from apdu.pin import Pin
from apdu.records import (
    BY_TAG,
    CATEGORIES,
    SEXES,
    bcd_encode,
    card_number_valid,
    encode_item,
    parse_date,
    ssn_valid,
)

from .keysets import DEFAULT_KEYSET, keyset
from .state import CardKeys, CardState, PinObject, RecordFile


class PersonalisationError(ValueError):
    """A holder field that does not follow the spec; the message names the field."""


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class Holder:
    """What the bureau writes on a card. Defaults make a valid adult card from Shenyang."""

    name: str = "张三"
    ssn: str = "210102198101011117"
    card_number: str = "X00000019"
    region: str = "210100"
    category: str = "3"
    sex: str | None = None
    nation: str = "01"
    birthplace: str | None = None
    birth_date: str | None = None
    issued: str | None = None
    expires: str | None = None
    spec_version: str = "2.00"
    serial: str = "00000001"
    init_region: str | None = None

    def resolved(self, today: dt.date) -> "Holder":
        """Fill the defaults that derive from other fields (birth data from the ID, dates from today)."""
        h = dataclasses.replace(self)
        if h.birth_date is None:
            h.birth_date = h.ssn[6:14]
        if h.sex is None:
            h.sex = "1" if h.ssn[16:17].isdigit() and int(h.ssn[16]) % 2 else "2"
        if h.birthplace is None:
            h.birthplace = h.ssn[:6]
        if h.issued is None:
            h.issued = today.strftime("%Y%m%d")
        if h.expires is None:
            issued = parse_date(h.issued)
            h.expires = add_years(issued, 10).strftime("%Y%m%d") if issued else h.issued
        if h.init_region is None:
            h.init_region = h.region
        return h

    def validate(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise PersonalisationError(message)

        need(len(self.ssn) == 18 and ssn_valid(self.ssn), f"--ssn {self.ssn!r}: not an 18-character ID number with a valid check character")
        need(card_number_valid(self.card_number), f"--card-no {self.card_number!r}: 8 characters + a valid check character (spec §2)")
        for name, value in (("--region", self.region), ("--init-region", self.init_region)):
            need(isinstance(value, str) and len(value) == 6 and value.isdigit(), f"{name} {value!r}: a 6-digit region code")
        need(self.category in CATEGORIES, f"--category {self.category!r}: one of 1, 2, 3, 4")
        need(self.sex in SEXES, f"--sex {self.sex!r}: one of 1, 2, 9")
        need(len(self.nation) == 2 and self.nation.isdigit(), f"--nation {self.nation!r}: a 2-digit GB 3304 code")
        need(self.birthplace is not None and self.birthplace.isdigit() and len(self.birthplace) <= 6,
             f"--birthplace {self.birthplace!r}: up to 6 digits")
        for name, value in (("--issued", self.issued), ("--expires", self.expires), ("--birth-date", self.birth_date)):
            need(value is not None and parse_date(value) is not None, f"{name} {value!r}: a date YYYYMMDD")
        need(len(self.serial) == 8 and _is_hex(self.serial), f"--serial {self.serial!r}: 8 hex digits")
        need(len(self.spec_version.encode("ascii", "replace")) <= 4, f"--spec-version {self.spec_version!r}: at most 4 characters")
        try:
            encoded = self.name.encode("gbk")
        except UnicodeEncodeError:
            raise PersonalisationError(f"--name {self.name!r}: not encodable in GBK") from None
        need(len(encoded) > 0 and len(split_name(self.name)[1]) <= BY_TAG[0x4E].length, "--name: 1 to 50 bytes in GBK")


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
        return True
    except ValueError:
        return False


def card_id(region: str, serial: bytes) -> bytes:
    """卡的识别码: region ‖ RID ‖ serial ‖ authentication code (profile: hash-derived)."""
    auth = hashlib.new(profile.AUTH_CODE_HASH, bytes.fromhex(region) + serial).digest()[:4]
    return bytes.fromhex(region) + profile.CARD_ID_RID + serial + auth


def split_name(name: str) -> tuple[bytes, bytes]:
    """GBK name into item 09 (30 bytes) and its extension 4E, never splitting a character."""
    head = b""
    for i, ch in enumerate(name):
        encoded = ch.encode("gbk")
        if len(head) + len(encoded) > BY_TAG[0x09].length:
            return head, name[i:].encode("gbk")
        head += encoded
    return head, b""


def records(h: Holder) -> tuple[list[bytes], list[bytes]]:
    serial = bytes.fromhex(h.serial)
    assert h.init_region is not None and h.issued and h.expires and h.birthplace and h.birth_date and h.sex
    ef05 = [
        encode_item(0x01, card_id(h.region, serial)),
        encode_item(0x02, h.category),
        encode_item(0x03, h.spec_version),
        encode_item(0x04, profile.INIT_ORG_PREFIX + bcd_encode(h.region, 3) + bcd_encode(h.init_region, 3) + b"\x01"),
        encode_item(0x05, h.issued),
        encode_item(0x06, h.expires),
        encode_item(0x07, h.card_number.upper()),
    ]
    name, extension = split_name(h.name)
    ef06 = [encode_item(0x08, h.ssn.upper()), encode_item(0x09, name)]
    if extension:
        ef06.append(encode_item(0x4E, extension))
    ef06 += [
        encode_item(0x0A, h.sex),
        encode_item(0x0B, h.nation),
        encode_item(0x0C, h.birthplace),
        encode_item(0x0D, h.birth_date),
    ]
    return ef05, ef06


def personalise(
    holder: Holder,
    pin: Pin,
    *,
    max_tries: int = profile.DEFAULT_MAX_TRIES,
    protocol: int = 0,
    today: dt.date | None = None,
    keyset_name: str | None = None,
) -> CardState:
    """A card state for `holder`. The key set defaults to SM4 for "3.00" cards, else 3DES."""
    h = holder.resolved(today or dt.date.today())
    h.validate()
    if not 1 <= max_tries <= 15:
        raise PersonalisationError("--max-tries: 1 to 15 (the counter is one nibble of 63Cx)")
    if protocol not in (0, 1):
        raise PersonalisationError("--protocol: T=0 or T=1")
    ef05, ef06 = records(h)
    if keyset_name is None:
        keyset_name = "test-sm4" if h.spec_version in profile.SM4_SPEC_VERSIONS else DEFAULT_KEYSET
    try:
        keys = keyset(keyset_name)
    except ValueError as exc:
        raise PersonalisationError(f"--keyset: {exc}") from None
    atr = build_atr(h.region, bytes.fromhex(h.serial), protocol)
    card_factor = Atr.parse(atr).card_factor
    puk = diversify_levels(keys.algorithm, keys.puk, factors(profile.PSAM_USAGE_PUK >> 5, h.region, card_factor))
    stk = diversify_levels(keys.algorithm, keys.stk, factors(profile.PSAM_USAGE_STK >> 5, h.region, card_factor))
    digits = pin.digits()
    try:
        pin_object = PinObject.create(digits, max_tries)
    finally:
        digits[:] = bytes(len(digits))
    return CardState(
        protocol=protocol,
        atr=atr,
        pin=pin_object,
        files=[
            RecordFile(profile.EF05_FID, profile.EF05_SFI, ef05),
            RecordFile(profile.EF06_FID, profile.EF06_SFI, ef06),
        ],
        keys=CardKeys(keys.algorithm, puk, stk),
    )
