"""A transport that drives an emulated card object in this process (no PC/SC involved)."""

from __future__ import annotations

from typing import Protocol

from .errors import CardRemoved, FeatureUnsupported
from .transport import Transport


class CardLike(Protocol):
    """What an in-process card must offer: vsmartcard's vicc surface."""

    def power_on(self) -> bytes: ...

    def power_off(self) -> None: ...

    def execute(self, apdu: bytes) -> bytes: ...


class InProcessTransport(Transport):
    def __init__(self, card: CardLike, name: str = "in-process card") -> None:
        self.card = card
        self.name = name
        self._atr: bytes | None = None

    def connect(self) -> None:
        self._atr = self.card.power_on()

    def disconnect(self) -> None:
        if self._atr is not None:
            self.card.power_off()
            self._atr = None

    @property
    def atr(self) -> bytes:
        if self._atr is None:
            raise CardRemoved(f"{self.name}: card not powered; connect first")
        return self._atr

    def transmit(self, apdu: bytes) -> bytes:
        if self._atr is None:
            raise CardRemoved(f"{self.name}: card not powered; connect first")
        return self.card.execute(bytes(apdu))

    def control(self, code: int, data: bytes) -> bytes:
        """SCardControl, when the in-process reader has one (e.g. a virtual PIN-pad reader)."""
        control = getattr(self.card, "control", None)
        if control is None:
            raise FeatureUnsupported(f"{self.name}: this reader has no control interface (no PIN pad)")
        try:
            return bytes(control(code, bytes(data)))
        except Exception as exc:
            raise FeatureUnsupported(f"{self.name}: {exc}") from None
