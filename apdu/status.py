"""Status words: the catalogue from the card spec (§4) and one typed exception per meaning.

`raise_for_status` is the single place that turns an SW into an exception, so every layer
reports the same words for the same card answer.
"""

from __future__ import annotations

from typing import ClassVar

from .errors import SscardError

SUCCESS = 0x9000


class CardError(SscardError):
    """The card answered with an error status word."""

    sw: int
    message_en: ClassVar[str] = "the card refused the command"
    message_zh: ClassVar[str | None] = None

    def __init__(self, sw: int, message: str | None = None) -> None:
        self.sw = sw
        self.text = message or self.message_en
        super().__init__(f"{self.text} (SW {sw:04X})")

    @property
    def message_chinese(self) -> str | None:
        return self.message_zh


class WrongPin(CardError):
    message_zh = "密码错误"

    def __init__(self, remaining: int, sw: int | None = None) -> None:
        self.remaining = remaining
        if remaining:
            text = f"wrong PIN, {remaining} {'try' if remaining == 1 else 'tries'} left"
        else:
            text = "wrong PIN, the PIN is now blocked"
        super().__init__(0x63C0 | remaining if sw is None else sw, text)

    @property
    def message_chinese(self) -> str:
        return f"密码错误，还可尝试{self.remaining}次" if self.remaining else "密码错误，密码已锁定"


class PinBlocked(CardError):
    message_en = "PIN blocked: unblock or reset it at a card outlet"
    message_zh = "密码已锁定，请到经办网点解锁或重置"

    def __init__(self, sw: int = 0x6983, message: str | None = None) -> None:
        super().__init__(sw, message)


class MemoryFailure(CardError):
    message_en = "card memory failure: the card could not write its state"


class ApplicationBlocked(CardError):
    message_en = "the social security application is invalidated (blocked)"
    message_zh = "应用已锁定"


class ApplicationLocked(CardError):
    message_en = "the application is permanently locked"
    message_zh = "应用已永久锁定"


class WrongLength(CardError):
    message_en = "wrong length (Lc or Le)"


class WrongLe(CardError):
    """6Cxx that reached the caller: the protocol layer normally re-issues it."""

    def __init__(self, sw: int) -> None:
        self.correct_le = (sw & 0xFF) or 256
        super().__init__(sw, f"wrong Le, the card has {self.correct_le} bytes")


class IncompatibleFileStructure(CardError):
    message_en = "command incompatible with the file structure"


class SecurityStatusNotSatisfied(CardError):
    message_en = "security status not satisfied (authentication or PIN needed first)"


class NoCurrentEf(CardError):
    message_en = "command not allowed: no current EF"


class ReferencedDataInvalid(CardError):
    message_en = "referenced data invalid (e.g. no fresh challenge)"


class ConditionsNotSatisfied(CardError):
    message_en = "conditions of use not satisfied"


class MacIncorrect(CardError):
    message_en = "secure-messaging data or MAC incorrect"


class WrongData(CardError):
    message_en = "incorrect data in the command"


class FunctionNotSupported(CardError):
    message_en = "function not supported"


class FileNotFound(CardError):
    message_en = "file or application not found"


class RecordNotFound(CardError):
    message_en = "record not found"


class IncorrectP1P2(CardError):
    message_en = "incorrect parameters P1-P2"


class WrongP1P2(IncorrectP1P2):
    message_en = "wrong parameters P1-P2"


class ReferencedDataNotFound(CardError):
    message_en = "referenced data not found"


class InsNotSupported(CardError):
    message_en = "instruction not supported"


class ClaNotSupported(CardError):
    message_en = "class not supported"


class NoPreciseDiagnosis(CardError):
    message_en = "card error, no precise diagnosis"


class KeyNotFound(CardError):
    message_en = "key not found"


class UnknownStatus(CardError):
    message_en = "unexpected status word"


_CATALOGUE: dict[int, type[CardError]] = {
    0x6283: ApplicationBlocked,
    0x6581: MemoryFailure,
    0x6700: WrongLength,
    0x6981: IncompatibleFileStructure,
    0x6982: SecurityStatusNotSatisfied,
    0x6983: PinBlocked,
    0x6984: ReferencedDataInvalid,
    0x6986: NoCurrentEf,
    0x6985: ConditionsNotSatisfied,
    0x6988: MacIncorrect,
    0x6A80: WrongData,
    0x6A81: FunctionNotSupported,
    0x6A82: FileNotFound,
    0x6A83: RecordNotFound,
    0x6A86: IncorrectP1P2,
    0x6A88: ReferencedDataNotFound,
    0x6B00: WrongP1P2,
    0x6D00: InsNotSupported,
    0x6E00: ClaNotSupported,
    0x6F00: NoPreciseDiagnosis,
    0x9303: ApplicationLocked,
    0x9403: KeyNotFound,
}


def is_success(sw: int) -> bool:
    """9000, and 61xx (more data waiting) which ISO counts as normal processing."""
    return sw == SUCCESS or (sw >> 8) == 0x61


def error_for(sw: int) -> CardError | None:
    """The exception an SW stands for, or None when it means success."""
    if is_success(sw):
        return None
    if (sw & 0xFFF0) == 0x63C0:
        return WrongPin(sw & 0x0F, sw)
    if (sw >> 8) == 0x6C:
        return WrongLe(sw)
    cls = _CATALOGUE.get(sw, UnknownStatus)
    return cls(sw)


def raise_for_status(sw: int) -> None:
    error = error_for(sw)
    if error is not None:
        raise error


def describe(sw: int) -> str:
    """A one-line English description of any status word."""
    if sw == SUCCESS:
        return "success"
    if (sw >> 8) == 0x61:
        return f"{sw & 0xFF or 256} response bytes waiting"
    error = error_for(sw)
    assert error is not None
    return error.text
