"""The APDU trace: one DEBUG line per command and response, formatted only when enabled.

PIN-bearing commands show their header and length only. Response data is shown as a byte
count, never as bytes: records hold the card number, social security number and name,
which logs may only carry masked. (`sscard info --record` captures full exchanges on purpose.)
"""

from __future__ import annotations

import logging

from apdu.command import Command
from apdu.commands import is_pin_bearing
from apdu.errors import MalformedCommand
from apdu.status import describe

log = logging.getLogger("sscard.apdu")


class _Formatted:
    """Deferred formatting: `logging` calls str() only when the record is actually emitted."""

    __slots__ = ("raw", "sensitive", "response")

    def __init__(self, raw: bytes, sensitive: bool, response: bool) -> None:
        self.raw = raw
        self.sensitive = sensitive
        self.response = response

    def __str__(self) -> str:
        raw = self.raw
        if self.response:
            if len(raw) < 2:
                return f"{raw.hex().upper()} (truncated)"
            sw = int.from_bytes(raw[-2:], "big")
            body = f"<{len(raw) - 2} data bytes> " if len(raw) > 2 else ""
            return f"{body}{sw:04X} ({describe(sw)})"
        if self.sensitive:
            try:
                count = len(Command.decode(raw).data)
            except MalformedCommand:
                count = max(0, len(raw) - 4)
            return f"{raw[:4].hex().upper()} <{count} PIN-bearing data bytes redacted>"
        return raw.hex().upper()


def command(raw: bytes, sensitive: bool = False) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("> %s", _Formatted(raw, sensitive or is_pin_bearing(raw), False))


def response(raw: bytes, sensitive: bool = False) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("< %s", _Formatted(raw, sensitive, True))
