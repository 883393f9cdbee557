"""Known answers for the ciphers, the MAC and the profile's diversification scheme."""

from __future__ import annotations

import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from apdu.atr import Atr
from apdu.crypto import (
    Algorithm,
    CryptoError,
    auth_cryptogram,
    cbc_mac,
    city_factor,
    decrypt,
    diversify,
    diversify_levels,
    encrypt,
    factors,
    pad_method2,
    pin_block,
    pin_from_block,
    province_factor,
    session_key,
)

SM4_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


def test_sm4_standard_vector() -> None:
    assert encrypt(Algorithm.SM4, SM4_KEY, SM4_KEY).hex() == "681edf34d206965e86b3e94f536e4246"
    assert decrypt(Algorithm.SM4, SM4_KEY, bytes.fromhex("681edf34d206965e86b3e94f536e4246")) == SM4_KEY


def test_des_known_answers() -> None:
    # FIPS 81 / classic vectors: DES(0, 0) and the "Now is t" example under 0123456789ABCDEF.
    assert encrypt(Algorithm.DES3, bytes(8), bytes(8)).hex().upper() == "8CA64DE9C1B123A7"
    assert encrypt(Algorithm.DES3, bytes.fromhex("0123456789ABCDEF"), b"Now is t").hex().upper() == "3FA40E8A984D4815"
    # two-key 3DES with K1 = K2 degenerates to single DES
    assert encrypt(Algorithm.DES3, bytes.fromhex("0123456789ABCDEF") * 2, b"Now is t").hex().upper() == "3FA40E8A984D4815"


@pytest.mark.parametrize("data, padded", [
    ("", "8000000000000000"), ("01", "0180000000000000"),
    ("01020304050607", "0102030405060780"), ("0102030405060708", "01020304050607088000000000000000"),
])
def test_iso9797_padding_method_2(data: str, padded: str) -> None:
    assert pad_method2(bytes.fromhex(data), 8).hex().upper() == padded


@pytest.mark.parametrize("algorithm, key", [(Algorithm.DES3, bytes(range(16))), (Algorithm.SM4, SM4_KEY),
                                            (Algorithm.DES3, bytes(range(8)))])
def test_cbc_mac_equals_the_last_cbc_block(algorithm: Algorithm, key: bytes) -> None:
    message = bytes.fromhex("8424000110") + bytes(range(16))
    padded = pad_method2(message, algorithm.block)
    full_key = key * 3 if len(key) == 8 else key + key[:8] if algorithm is Algorithm.DES3 else key
    cipher = TripleDES(full_key) if algorithm is Algorithm.DES3 else algorithms.SM4(key)
    enc = Cipher(cipher, modes.CBC(bytes(algorithm.block))).encryptor()
    expected = (enc.update(padded) + enc.finalize())[-algorithm.block :]
    assert cbc_mac(algorithm, key, message) == expected


def test_diversification_follows_the_profile() -> None:
    key = bytes(range(16))
    f = bytes.fromhex("8684210100000001")
    inv = bytes(b ^ 0xFF for b in f)
    assert diversify(Algorithm.DES3, key, f) == encrypt(Algorithm.DES3, key, f) + encrypt(Algorithm.DES3, key, inv)
    assert diversify(Algorithm.SM4, SM4_KEY, f) == encrypt(Algorithm.SM4, SM4_KEY, f + inv)
    assert diversify_levels(Algorithm.SM4, SM4_KEY, [f, f]) == diversify(Algorithm.SM4, diversify(Algorithm.SM4, SM4_KEY, f), f)


def test_factors_from_the_region_and_the_atr() -> None:
    assert province_factor("210100") == b"210000sh"
    assert city_factor("210100") == b"210100sx"
    card = Atr.parse(bytes.fromhex("3B6D00000081544C928684420100000135")).card_factor
    assert factors(3, "420100", card) == [b"420000sh", b"420100sx", bytes.fromhex("8684420100000135")]
    assert factors(2, "420100", card) == [b"420100sx", card]
    with pytest.raises(CryptoError):
        factors(4, "420100", card)


def test_session_key_and_cryptogram_sizes() -> None:
    sk = session_key(Algorithm.DES3, bytes(range(16)), bytes(8))
    assert len(sk) == 8 and len(auth_cryptogram(Algorithm.DES3, sk)) == 8
    sk = session_key(Algorithm.SM4, SM4_KEY, bytes(16))
    assert len(sk) == 16
    assert auth_cryptogram(Algorithm.SM4, sk) == encrypt(Algorithm.SM4, sk, bytes(range(1, 9)) + b"\x80" + bytes(7))[:8]
    with pytest.raises(CryptoError):
        session_key(Algorithm.SM4, SM4_KEY, bytes(8))


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_pin_block_round_trip(algorithm: Algorithm) -> None:
    block = pin_block(algorithm, bytes.fromhex("481620"))
    assert len(block) == algorithm.block and block[:8] == bytes.fromhex("0348162080000000")
    assert pin_from_block(algorithm, block) == bytes.fromhex("481620")
    assert pin_from_block(algorithm, bytes(algorithm.block)) is None


def test_algorithm_from_challenge_length() -> None:
    assert Algorithm.for_challenge(bytes(8)) is Algorithm.DES3
    assert Algorithm.for_challenge(bytes(16)) is Algorithm.SM4
    with pytest.raises(CryptoError):
        Algorithm.for_challenge(bytes(4))
