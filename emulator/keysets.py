"""TEST key sets for emulated cards and PSAMs. Clearly not real keys: each is derived from its
own public label, so anyone can recompute it and nobody can mistake it for production keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from apdu.crypto import Algorithm


@dataclass(frozen=True)
class KeySet:
    name: str
    algorithm: Algorithm
    puk: bytes  # master PIN-unblock key (external authentication)
    stk: bytes  # master application-maintenance key (PIN block encryption and MACs)


def _test_key(label: str) -> bytes:
    return hashlib.sha256(f"sscard TEST KEY - NOT FOR PRODUCTION - {label}".encode()).digest()[:16]


KEYSETS: dict[str, KeySet] = {
    "test-3des": KeySet("test-3des", Algorithm.DES3, _test_key("3DES PUK"), _test_key("3DES STK")),
    "test-sm4": KeySet("test-sm4", Algorithm.SM4, _test_key("SM4 PUK"), _test_key("SM4 STK")),
}
DEFAULT_KEYSET = "test-3des"


def keyset(name: str) -> KeySet:
    try:
        return KEYSETS[name]
    except KeyError:
        raise ValueError(f"unknown key set {name!r}: one of {', '.join(KEYSETS)}") from None
