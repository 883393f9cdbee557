"""The emulated card's persistent state: a versioned JSON document.

The PIN is kept only as a salted PBKDF2 hash, so a state file never holds PIN digits.
Decoding validates every field and refuses an unknown version or a corrupt document with
`StateError` instead of guessing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

from apdu import profile
from apdu.crypto import Algorithm
from apdu.errors import SscardError

FORMAT = "sscard.emulated-card"
VERSION = 1
PIN_HASH_ITERATIONS = 2000

#: READ RECORD / SELECT forms a card may lack (spec §2 profile: each switchable off).
FEATURES = ("read_by_sfi", "read_all", "read_by_tag", "read_by_number", "select_ef")


class StateError(SscardError):
    """A state file that cannot be used: unreadable, corrupt, or of an unknown version."""


@dataclass
class PinObject:
    """The application PIN: salted hash, try limit and tries left."""

    salt: bytes
    digest: bytes
    max_tries: int
    tries_left: int
    iterations: int = PIN_HASH_ITERATIONS

    @classmethod
    def create(cls, digits: bytes | bytearray, max_tries: int) -> "PinObject":
        salt = os.urandom(16)
        return cls(salt, _hash(digits, salt, PIN_HASH_ITERATIONS), max_tries, max_tries)

    def matches(self, digits: bytes | bytearray) -> bool:
        return hmac.compare_digest(_hash(digits, self.salt, self.iterations), self.digest)

    def set(self, digits: bytes | bytearray) -> None:
        self.salt = os.urandom(16)
        self.iterations = PIN_HASH_ITERATIONS
        self.digest = _hash(digits, self.salt, self.iterations)

    @property
    def blocked(self) -> bool:
        return self.tries_left == 0


def _hash(digits: bytes | bytearray, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", bytes(digits), salt, iterations)


@dataclass
class CardKeys:
    """The card's own keys, already diversified for it (TEST keys only), and the PUK try counter."""

    algorithm: Algorithm
    puk: bytes
    stk: bytes
    puk_tries_left: int = profile.PUK_TRY_LIMIT

    def to_json(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm.value, "puk": self.puk.hex().upper(), "stk": self.stk.hex().upper(),
                "puk_tries_left": self.puk_tries_left}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "CardKeys":
        keys = cls(Algorithm(doc["algorithm"]), bytes.fromhex(doc["puk"]), bytes.fromhex(doc["stk"]),
                   int(doc["puk_tries_left"]))
        if len(keys.puk) != 16 or len(keys.stk) != 16:
            raise StateError("card keys must be 16 bytes each")
        if not 0 <= keys.puk_tries_left <= profile.PUK_TRY_LIMIT:
            raise StateError("PUK try counter out of range")
        return keys


@dataclass
class RecordFile:
    fid: int
    sfi: int
    records: list[bytes]


@dataclass
class CardState:
    protocol: int
    atr: bytes
    pin: PinObject
    files: list[RecordFile]
    keys: CardKeys
    features: dict[str, bool] = field(default_factory=lambda: {name: True for name in FEATURES})
    #: SW a card answers to a READ/SELECT form it lacks (6A86, 6A81, 6B00 or 6D00 on field cards).
    unsupported_sw: int = 0x6A86

    def file_by_fid(self, fid: int) -> RecordFile | None:
        return next((f for f in self.files if f.fid == fid), None)

    def file_by_sfi(self, sfi: int) -> RecordFile | None:
        return next((f for f in self.files if f.sfi == sfi), None)

    # --- JSON ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "protocol": f"T={self.protocol}",
            "atr": self.atr.hex().upper(),
            "pin": {
                "salt": self.pin.salt.hex(),
                "hash": self.pin.digest.hex(),
                "iterations": self.pin.iterations,
                "max_tries": self.pin.max_tries,
                "tries_left": self.pin.tries_left,
            },
            "files": [
                {"fid": f"{f.fid:04X}", "sfi": f.sfi, "records": [r.hex().upper() for r in f.records]}
                for f in self.files
            ],
            "keys": self.keys.to_json(),
            "features": dict(self.features),
            "unsupported_sw": f"{self.unsupported_sw:04X}",
        }

    @classmethod
    def from_json(cls, doc: Any) -> "CardState":
        try:
            return cls._from_json(doc)
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"corrupt card state: {type(exc).__name__}: {exc}") from None

    @classmethod
    def _from_json(cls, doc: Any) -> "CardState":
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise StateError(f"not an emulated card state (expected format {FORMAT!r})")
        if doc.get("version") != VERSION:
            raise StateError(
                f"card state version {doc.get('version')!r} is not supported (this program reads {VERSION})"
            )
        protocol = {"T=0": 0, "T=1": 1}.get(doc["protocol"])
        if protocol is None:
            raise StateError(f"protocol must be T=0 or T=1, got {doc['protocol']!r}")
        p = doc["pin"]
        pin = PinObject(
            bytes.fromhex(p["salt"]), bytes.fromhex(p["hash"]), int(p["max_tries"]),
            int(p["tries_left"]), int(p["iterations"]),
        )
        if not 1 <= pin.max_tries <= 15 or not 0 <= pin.tries_left <= pin.max_tries:
            raise StateError("PIN try counter out of range (limit 1..15, tries left 0..limit)")
        if len(pin.digest) != 32 or pin.iterations < 1:
            raise StateError("PIN hash is malformed")
        files = []
        for f in doc["files"]:
            fid = int(f["fid"], 16)
            sfi = int(f["sfi"])
            if not 0 <= fid <= 0xFFFF or not 1 <= sfi <= 30:
                raise StateError(f"file {f['fid']!r}: FID or SFI out of range")
            records = [bytes.fromhex(r) for r in f["records"]]
            if any(not 1 <= len(r) <= 254 for r in records):
                raise StateError(f"file {f['fid']}: a record must be 1..254 bytes")
            files.append(RecordFile(fid, sfi, records))
        features = {name: True for name in FEATURES}
        for name, on in dict(doc.get("features", {})).items():
            if name not in FEATURES or not isinstance(on, bool):
                raise StateError(f"unknown or non-boolean feature {name!r}")
            features[name] = on
        atr = bytes.fromhex(doc["atr"])
        if not 2 <= len(atr) <= 33:
            raise StateError("ATR must be 2..33 bytes")
        keys = CardKeys.from_json(doc["keys"])
        return cls(protocol, atr, pin, files, keys, features, int(doc.get("unsupported_sw", "6A86"), 16))
