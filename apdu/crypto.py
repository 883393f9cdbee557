"""Block ciphers, ISO 9797-1 MACs and key diversification (spec §5), all through `cryptography`.

The card spec's **profile** scheme lives here and nowhere else: how keys are diversified
level by level, how a session key comes from a challenge, how the external-authentication
cryptogram, the encrypted PIN block and the command MAC are formed. Both the emulated
card/PSAM and the terminal call these, so they cannot drift apart.
"""

from __future__ import annotations

import enum

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import SscardError


class CryptoError(SscardError, ValueError):
    """A key, block or factor of the wrong size for the algorithm."""


class Algorithm(enum.Enum):
    """The card's symmetric algorithm: 3DES on 2nd-generation cards, SM4 on 3rd-generation ones."""

    DES3 = "3des"
    SM4 = "sm4"

    @property
    def block(self) -> int:
        return 8 if self is Algorithm.DES3 else 16

    @property
    def challenge_length(self) -> int:
        """GET CHALLENGE length [field]: 8 bytes on 3DES cards, 16 on SM4 cards."""
        return self.block

    @classmethod
    def for_challenge(cls, challenge: bytes) -> "Algorithm":
        if len(challenge) == 8:
            return cls.DES3
        if len(challenge) == 16:
            return cls.SM4
        raise CryptoError(f"a challenge of {len(challenge)} bytes fits neither 3DES (8) nor SM4 (16)")


def _cipher(algorithm: Algorithm, key: bytes) -> Cipher:
    if algorithm is Algorithm.SM4:
        if len(key) != 16:
            raise CryptoError(f"an SM4 key is 16 bytes, got {len(key)}")
        return Cipher(algorithms.SM4(key), modes.ECB())
    if len(key) == 8:  # a single-DES session key
        key = key * 3
    elif len(key) == 16:  # two-key 3DES: K1 K2 K1
        key = key + key[:8]
    if len(key) != 24:
        raise CryptoError(f"a DES key is 8, 16 or 24 bytes, got {len(key)}")
    return Cipher(TripleDES(key), modes.ECB())


def encrypt(algorithm: Algorithm, key: bytes, data: bytes) -> bytes:
    """ECB encryption of whole blocks."""
    if len(data) % algorithm.block:
        raise CryptoError(f"data of {len(data)} bytes is not a whole number of {algorithm.block}-byte blocks")
    enc = _cipher(algorithm, key).encryptor()
    return enc.update(bytes(data)) + enc.finalize()


def decrypt(algorithm: Algorithm, key: bytes, data: bytes) -> bytes:
    if len(data) % algorithm.block:
        raise CryptoError(f"data of {len(data)} bytes is not a whole number of {algorithm.block}-byte blocks")
    dec = _cipher(algorithm, key).decryptor()
    return dec.update(bytes(data)) + dec.finalize()


def pad_method2(data: bytes, block: int) -> bytes:
    """ISO 9797-1 padding method 2: 80 then 00 up to a whole block (always adds at least 80)."""
    padded = bytes(data) + b"\x80"
    return padded + bytes(-len(padded) % block)


def cbc_mac(algorithm: Algorithm, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """ISO 9797-1 MAC algorithm 1 (plain CBC-MAC) over method-2 padded data; the full last block."""
    block = algorithm.block
    iv = bytes(block) if iv is None else bytes(iv)
    if len(iv) != block:
        raise CryptoError(f"the IV is one {block}-byte block")
    chained = iv
    enc = _cipher(algorithm, key).encryptor()
    padded = pad_method2(data, block)
    for i in range(0, len(padded), block):
        chained = enc.update(bytes(a ^ b for a, b in zip(chained, padded[i : i + block])))
    return chained


MAC_LENGTH = 4


# --- the profile scheme (spec §5) --------------------------------------------------------------
def diversify(algorithm: Algorithm, key: bytes, factor: bytes) -> bytes:
    """One level: 3DES `E_K(F) ‖ E_K(~F)`; SM4 `E_K(F ‖ ~F)`."""
    if len(factor) != 8:
        raise CryptoError(f"a diversification factor is 8 bytes, got {len(factor)}")
    inverted = bytes(b ^ 0xFF for b in factor)
    if algorithm is Algorithm.DES3:
        return encrypt(algorithm, key, factor) + encrypt(algorithm, key, inverted)
    return encrypt(algorithm, key, factor + inverted)


def diversify_levels(algorithm: Algorithm, key: bytes, factors: list[bytes]) -> bytes:
    """From the most general factor to the card's."""
    for factor in factors:
        key = diversify(algorithm, key, factor)
    return key


def session_key(algorithm: Algorithm, key: bytes, challenge: bytes) -> bytes:
    """`SK = E_K'(R)`: 8 bytes (single DES) for 3DES, 16 for SM4."""
    if len(challenge) != algorithm.challenge_length:
        raise CryptoError(f"{algorithm.value} challenges are {algorithm.challenge_length} bytes, got {len(challenge)}")
    return encrypt(algorithm, key, challenge)


#: The authentication factor F of EXTERNAL AUTHENTICATE [profile].
AUTH_FACTOR = bytes(range(1, 9))


def auth_block(algorithm: Algorithm, factor: bytes = AUTH_FACTOR) -> bytes:
    """What is encrypted for the external-authentication cryptogram: F, or F ‖ 80 00… on SM4."""
    return factor if algorithm is Algorithm.DES3 else pad_method2(factor, algorithm.block)


def auth_cryptogram(algorithm: Algorithm, sk: bytes, factor: bytes = AUTH_FACTOR) -> bytes:
    """The 8-byte cryptogram: `E_SK(F)`, or the first 8 bytes of `E_SK(F ‖ 80 00…)` on SM4."""
    return encrypt(algorithm, sk, auth_block(algorithm, factor))[:8]


def pin_block(algorithm: Algorithm, pin_bcd: bytes | bytearray) -> bytearray:
    """The clear PIN block `03 ‖ PIN(3 BCD) ‖ 80 00 00 00`, zero-padded to the block size. Wipe after use."""
    if len(pin_bcd) != 3:
        raise CryptoError("the PIN block carries a 3-byte BCD PIN")
    block = bytearray(b"\x03")
    block += pin_bcd
    block += b"\x80\x00\x00\x00"
    block += bytes(algorithm.block - len(block))
    return block


def pin_from_block(algorithm: Algorithm, block: bytes | bytearray) -> bytearray | None:
    """The 3 BCD PIN bytes of a clear PIN block, or None when the block is not well formed."""
    if len(block) != algorithm.block or block[0] != 0x03 or bytes(block[4:]) != b"\x80" + bytes(algorithm.block - 5):
        return None
    return bytearray(block[1:4])


# --- diversification factors [field] ----------------------------------------------------------
def _region_digits(region: str) -> str:
    if len(region) != 6 or not region.isdigit():
        raise CryptoError(f"a region code is 6 digits, got {region!r}")
    return region


def province_factor(region: str) -> bytes:
    """The first 2 ASCII digits of the region ‖ "0000" ‖ "sh"."""
    return (_region_digits(region)[:2] + "0000sh").encode("ascii")


def city_factor(region: str) -> bytes:
    """The 6 ASCII digits of the region code ‖ "sx"."""
    return (_region_digits(region) + "sx").encode("ascii")


def factors(levels: int, region: str, card_factor: bytes) -> list[bytes]:
    """The factors for a key of `levels` levels, most general first (province, city, card)."""
    chain = [province_factor(region), city_factor(region), bytes(card_factor)]
    if not 1 <= levels <= 3:
        raise CryptoError(f"a key has 1 to 3 diversification levels, got {levels}")
    if len(card_factor) != 8:
        raise CryptoError("the card factor is 8 bytes")
    return chain[3 - levels :]
