"""APDU transcripts: replay a recording as a card, and record any reader's exchanges.

A recording is `{"atr": "<hex>", "exchanges": [{"command": "<hex>", "response": "<hex>"}]}`.
Replay answers a command with the response recorded for the same bytes (in recorded order
when there are several) and an unrecorded command with 6D00. Recordings never hold a PIN:
the recorder refuses PIN-bearing commands before they reach the card.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from apdu.commands import is_pin_bearing

from .errors import CardRemoved, RecordingRefused, ReplayError
from .transport import Transport

UNRECORDED = bytes.fromhex("6D00")


def _hex(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise ReplayError(f"{where}: expected a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ReplayError(f"{where}: not valid hex") from None


class ReplayTransport(Transport):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = f"replay:{path}"
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReplayError(f"no recording at {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReplayError(f"cannot read recording {path}: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("exchanges"), list):
            raise ReplayError(f"{path}: a recording is an object with 'atr' and a list 'exchanges'")
        self._recorded_atr = _hex(doc.get("atr"), f"{path}: atr")
        self._answers: dict[bytes, deque[bytes]] = defaultdict(deque)
        for i, exchange in enumerate(doc["exchanges"]):
            if not isinstance(exchange, dict):
                raise ReplayError(f"{path}: exchange {i} is not an object")
            response = _hex(exchange.get("response"), f"{path}: exchange {i} response")
            if len(response) < 2:
                raise ReplayError(f"{path}: exchange {i} response lacks SW1 SW2")
            self._answers[_hex(exchange.get("command"), f"{path}: exchange {i} command")].append(response)
        self._connected = False

    def connect(self) -> None:
        self._connected = True

    def disconnect(self) -> None:
        self._connected = False

    @property
    def atr(self) -> bytes:
        return self._recorded_atr

    def transmit(self, apdu: bytes) -> bytes:
        if not self._connected:
            raise CardRemoved(f"{self.name}: not connected")
        queue = self._answers.get(bytes(apdu))
        if not queue:
            return UNRECORDED
        # Several recordings of the same command are played in order; the last one repeats.
        return queue.popleft() if len(queue) > 1 else queue[0]


class RecordingTransport(Transport):
    """Wraps another transport and writes what passed through it to `path` on disconnect."""

    def __init__(self, inner: Transport, path: str | os.PathLike[str]) -> None:
        self.inner = inner
        self.path = Path(path)
        self.name = inner.name
        self._exchanges: list[dict[str, str]] = []
        self._atr: bytes | None = None

    def connect(self) -> None:
        self.inner.connect()
        self._atr = self.inner.atr

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    @property
    def protocol(self) -> int:
        return self.inner.protocol

    def transaction(self):  # type: ignore[no-untyped-def]
        return self.inner.transaction()

    def transmit(self, apdu: bytes) -> bytes:
        if is_pin_bearing(apdu):
            raise RecordingRefused("a PIN-bearing command cannot be recorded; record `info` only")
        response = self.inner.transmit(apdu)
        self._exchanges.append({"command": bytes(apdu).hex().upper(), "response": response.hex().upper()})
        return response

    def disconnect(self) -> None:
        try:
            if self._atr is not None:
                self.save()
        finally:
            self.inner.disconnect()

    def save(self) -> None:
        assert self._atr is not None
        doc = {"atr": self._atr.hex().upper(), "exchanges": self._exchanges}
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent or ".")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=2)
            out.write("\n")
        os.replace(tmp, self.path)
