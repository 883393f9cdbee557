"""The one interface every way of reaching a card implements (pySim-style transports)."""

from __future__ import annotations

import contextlib
import functools
from abc import ABC, abstractmethod
from collections.abc import Iterator

from apdu.atr import Atr
from apdu.errors import InvalidAtr

from .errors import FeatureUnsupported


@functools.lru_cache(maxsize=16)
def _protocol_of(atr: bytes) -> int:
    """Parsed once per ATR: the protocol layer asks for every command that carries an Le hint."""
    try:
        return Atr.parse(atr).protocol
    except InvalidAtr:
        return 0


class Transport(ABC):
    """Connect, exchange raw APDU bytes, disconnect. Knows nothing of status words."""

    name: str = "transport"

    @abstractmethod
    def connect(self) -> None: ...

    @abstractmethod
    def disconnect(self) -> None: ...

    @abstractmethod
    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU and return the response bytes (data ‖ SW1 SW2)."""

    @property
    @abstractmethod
    def atr(self) -> bytes: ...

    @property
    def protocol(self) -> int:
        """The transmission protocol in use (0 or 1): by default the first one the ATR offers."""
        return _protocol_of(self.atr)

    def control(self, code: int, data: bytes) -> bytes:
        """SCardControl: reader features such as PC/SC Part 10 secure PIN entry."""
        raise FeatureUnsupported(f"{self.name}: this reader has no control interface (no PIN pad)")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the card for a multi-APDU operation so no other process can interleave."""
        yield

    def __enter__(self) -> "Transport":
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()
