"""The terminal's security module (PSAM) as its own emulated card.

It holds master keys (TEST key sets only), diversifies them for a card on request, derives a
session key from the card's challenge, and encrypts or MACs under it (PBOC PSAM command
family, spec §5 profile). EF15 tells its algorithm, EF16 the terminal number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apdu import profile
from apdu.command import Command
from apdu.crypto import Algorithm, CryptoError, cbc_mac, diversify_levels, encrypt, session_key

from .base import SW_OK, ApduCard
from .keysets import keyset
from .state import StateError

FORMAT = "sscard.emulated-psam"
VERSION = 1
MF_FID = 0x3F00


@dataclass
class PsamKey:
    usage: int
    key: bytes


@dataclass
class PsamState:
    algorithm: Algorithm
    keys: dict[int, PsamKey]
    serial: bytes
    terminal_number: str
    keyset_name: str
    atr: bytes = field(default=b"")

    def __post_init__(self) -> None:
        if not self.atr:
            hist = b"\x00\x81SSPSAM" + self.serial[-4:]
            self.atr = bytes((0x3B, 0x60 | len(hist), 0x00, 0x00)) + hist

    @property
    def ef15(self) -> bytes:
        code = {v: k for k, v in profile.PSAM_ALGORITHM_CODES.items()}[self.algorithm.value]
        return self.serial + bytes((0x01, code))

    @property
    def ef16(self) -> bytes:
        return bytes.fromhex(self.terminal_number)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "label": "TEST PSAM - test keys only",
            "keyset": self.keyset_name,
            "algorithm": self.algorithm.value,
            "serial": self.serial.hex().upper(),
            "terminal_number": self.terminal_number,
            "atr": self.atr.hex().upper(),
            "keys": [{"id": f"{kid:02X}", "usage": f"{k.usage:02X}", "key": k.key.hex().upper()} for kid, k in self.keys.items()],
        }

    @classmethod
    def from_json(cls, doc: Any) -> "PsamState":
        try:
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise StateError(f"not an emulated PSAM state (expected format {FORMAT!r})")
            if doc.get("version") != VERSION:
                raise StateError(f"PSAM state version {doc.get('version')!r} is not supported (this program reads {VERSION})")
            keys = {int(k["id"], 16): PsamKey(int(k["usage"], 16), bytes.fromhex(k["key"])) for k in doc["keys"]}
            state = cls(Algorithm(doc["algorithm"]), keys, bytes.fromhex(doc["serial"]), doc["terminal_number"],
                        str(doc.get("keyset", "")), bytes.fromhex(doc["atr"]))
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"corrupt PSAM state: {type(exc).__name__}: {exc}") from None
        if len(state.serial) != 10 or len(state.terminal_number) != 12 or not state.terminal_number.isdigit():
            raise StateError("PSAM serial must be 10 bytes and the terminal number 12 digits")
        if any(len(k.key) != 16 for k in state.keys.values()):
            raise StateError("PSAM keys must be 16 bytes")
        return state


def new_psam(keyset_name: str, terminal_number: str = "210100000001", serial: str = "00000000000000000001") -> PsamState:
    keys = keyset(keyset_name)
    if len(terminal_number) != 12 or not terminal_number.isdigit():
        raise ValueError(f"--terminal-number {terminal_number!r}: 12 digits (6 bytes BCD)")
    return PsamState(
        keys.algorithm,
        {profile.PSAM_KEY_PUK: PsamKey(profile.PSAM_USAGE_PUK, keys.puk), profile.PSAM_KEY_STK: PsamKey(profile.PSAM_USAGE_STK, keys.stk)},
        bytes.fromhex(serial),
        terminal_number,
        keyset_name,
    )


class Psam(ApduCard):
    """The PSAM's APDU handler (T=0, results through 61xx + GET RESPONSE)."""

    def __init__(self, state: PsamState) -> None:
        super().__init__()
        self.state = state
        self._in_app = False
        self._key: bytes | None = None
        self._handlers |= {
            0xA4: (frozenset({0x00}), self._select),
            0xB0: (frozenset({0x00}), self._read_binary),
            0x1A: (frozenset({0x80}), self._init),
            0xFA: (frozenset({0x80}), self._compute),
        }

    @property
    def atr(self) -> bytes:
        return self.state.atr

    @property
    def protocol(self) -> int:
        return 0

    def _reset_session(self) -> None:
        self._in_app = False
        self._key = None

    def _select(self, c: Command) -> tuple[int, bytes]:
        if c.p1 != 0x00 or c.p2 not in (0x00, 0x0C):
            return 0x6A86, b""
        if len(c.data) != 2:
            return 0x6700, b""
        fid = int.from_bytes(c.data, "big")
        if fid not in (MF_FID, profile.PSAM_DF_FID):
            return 0x6A82, b""
        self._reset_session()
        self._in_app = fid == profile.PSAM_DF_FID
        return SW_OK, b""

    def _read_binary(self, c: Command) -> tuple[int, bytes]:
        if not c.p1 & 0x80:
            return 0x6986, b""
        if c.data or c.le is None:
            return 0x6700, b""
        files = {profile.PSAM_EF15_SFI: self.state.ef15, profile.PSAM_EF16_SFI: self.state.ef16}
        content = files.get(c.p1 & 0x1F) if self._in_app else None
        if content is None:
            return 0x6A82, b""
        if c.p2 >= len(content):
            return 0x6B00, b""
        return SW_OK, content[c.p2 :]

    def _init(self, c: Command) -> tuple[int, bytes]:
        """80 1A: diversify the master key with the factors (and a challenge: a session key)."""
        if not self._in_app:
            return 0x6985, b""
        key = self.state.keys.get(c.p2)
        if key is None or key.usage != c.p1:
            return 0x9403, b""
        levels = c.p1 >> 5
        alg = self.state.algorithm
        if len(c.data) not in (8 * levels, 8 * levels + alg.challenge_length):
            return 0x6700, b""
        factors = [bytes(c.data[i : i + 8]) for i in range(0, 8 * levels, 8)]
        diversified = diversify_levels(alg, key.key, factors)
        challenge = bytes(c.data[8 * levels :])
        self._key = session_key(alg, diversified, challenge) if challenge else diversified
        return SW_OK, b""

    def _compute(self, c: Command) -> tuple[int, bytes]:
        """80 FA: P1 00 encrypt whole blocks; P1 05 MAC over IV ‖ message (padded here, method 2)."""
        if c.p2 or c.p1 not in (profile.PSAM_ENCRYPT, profile.PSAM_MAC):
            return 0x6A86, b""
        if self._key is None:
            return 0x6985, b""
        alg = self.state.algorithm
        data = bytes(c.data)
        try:
            if c.p1 == profile.PSAM_ENCRYPT:
                return SW_OK, encrypt(alg, self._key, data)
            if len(data) < alg.block:
                return 0x6700, b""
            return SW_OK, cbc_mac(alg, self._key, data[alg.block :], data[: alg.block])[:4]
        except CryptoError:
            return 0x6700, b""
