"""A session with the terminal's security module (PSAM): the terminal never holds card keys."""

from __future__ import annotations

from dataclasses import dataclass

from apdu import commands, profile
from apdu.crypto import Algorithm, MAC_LENGTH
from apdu.status import CardError

from .channel import CardChannel
from .errors import NoPsam
from .transport import Transport


@dataclass(frozen=True)
class PsamInfo:
    algorithm: Algorithm
    serial: str
    terminal_number: str


class PsamSession:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.channel = CardChannel(transport)
        self._info: PsamInfo | None = None

    def open(self) -> PsamInfo:
        """Select the PSAM application and read its algorithm (EF15) and terminal number (EF16)."""
        try:
            self.channel.call(commands.select_file(profile.PSAM_DF_FID))
            ef15 = self.channel.call(commands.read_binary_sfi(profile.PSAM_EF15_SFI, profile.PSAM_EF15_LENGTH))
            ef16 = self.channel.call(commands.read_binary_sfi(profile.PSAM_EF16_SFI, 6))
        except CardError as exc:
            raise NoPsam(f"no usable PSAM in {self.transport.name}: {exc}") from None
        algorithm = profile.PSAM_ALGORITHM_CODES.get(ef15[-1]) if len(ef15) == profile.PSAM_EF15_LENGTH else None
        if algorithm is None or len(ef16) != 6:
            raise NoPsam(f"the module in {self.transport.name} is not a PSAM this terminal knows (EF15/EF16)")
        self._info = PsamInfo(Algorithm(algorithm), ef15[:10].hex().upper(), ef16.hex().upper())
        return self._info

    @property
    def info(self) -> PsamInfo:
        return self._info or self.open()

    def load_key(self, usage: int, key_id: int, factors: list[bytes], challenge: bytes = b"") -> None:
        """Diversify a master key for the card (and derive the session key from its challenge)."""
        self.channel.call(commands.psam_init(usage, key_id, b"".join(factors) + challenge))

    def encrypt(self, data: bytes | bytearray, *, sensitive: bool = False) -> bytes:
        command = commands.psam_compute(profile.PSAM_ENCRYPT, data, len(data), sensitive=sensitive)
        try:
            return self.channel.call(command)
        finally:
            if sensitive:
                commands.wipe(command)

    def mac(self, message: bytes) -> bytes:
        """4-byte MAC with a zero IV; the PSAM pads the message (ISO 9797-1 method 2)."""
        iv = bytes(self.info.algorithm.block)
        return self.channel.call(commands.psam_compute(profile.PSAM_MAC, iv + message, MAC_LENGTH))
