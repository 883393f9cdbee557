"""PIN reset (重置) and unblock (解锁) with the PSAM, as field drivers do it (spec §3, §5).

GET CHALLENGE R1 → the PSAM's PUK cryptogram → EXTERNAL AUTHENTICATE; GET CHALLENGE R2 →
the PSAM's STK session key encrypts the new PIN block and MACs the command → PIN UNBLOCK.
Both readers are held in a transaction throughout, and between a challenge and the command
that uses it nothing else is sent to the card. The card's own data (region, ATR) drives the
diversification: cards of every city and province are served the same way.
"""

from __future__ import annotations

from apdu import commands, profile
from apdu.atr import Atr
from apdu.crypto import AUTH_FACTOR, Algorithm, auth_block, factors, pin_block
from apdu.pin import Pin
from apdu.records import BasicInfo
from apdu.status import WrongPin

from .errors import PsamAlgorithmNotSupported, PsamKeysDoNotFit
from .psam import PsamSession
from .session import CardSession


def card_algorithm(info: BasicInfo) -> Algorithm:
    """What the card's generation suggests; its challenge length has the last word."""
    return Algorithm.SM4 if info.spec_version in profile.SM4_SPEC_VERSIONS else Algorithm.DES3


def _fresh_challenge(card: CardSession, psam: PsamSession, info: BasicInfo) -> tuple[Algorithm, bytes]:
    """The card's challenge; its length tells the card's algorithm, which the PSAM must share."""
    card.select_ssse()
    challenge = card.get_challenge(card_algorithm(info).challenge_length)
    algorithm = Algorithm.for_challenge(challenge)
    psam_algorithm = psam.info.algorithm  # read once per PSAM session, not per check
    if psam_algorithm is not algorithm:
        raise PsamAlgorithmNotSupported(
            f"PSAM algorithm not supported (−2202): the card uses {algorithm.value.upper()}, "
            f"the PSAM holds {psam_algorithm.value.upper()} keys; use a PSAM for this card generation"
        )
    return algorithm, challenge


def check_psam_fits(card: CardSession, psam: PsamSession, info: BasicInfo) -> Algorithm:
    """Refuse a PSAM of the wrong algorithm before anyone types a PIN (costs one challenge)."""
    with card.transport.transaction(), psam.transport.transaction():
        return _fresh_challenge(card, psam, info)[0]


def _authenticate(card: CardSession, psam: PsamSession, info: BasicInfo) -> tuple[Algorithm, list[bytes]]:
    """External authentication with the PUK; returns the algorithm and the card factors."""
    algorithm, r1 = _fresh_challenge(card, psam, info)
    card_factor = Atr.parse(card.atr).card_factor
    chain = factors(profile.PSAM_USAGE_PUK >> 5, info.region, card_factor)
    psam.load_key(profile.PSAM_USAGE_PUK, profile.PSAM_KEY_PUK, chain, r1)
    cryptogram = psam.encrypt(auth_block(algorithm, AUTH_FACTOR))[:8]
    try:
        card.external_authenticate(cryptogram, AUTH_FACTOR)
    except WrongPin as exc:  # 63Cx here counts the card's PUK tries, not the holder's PIN
        raise PsamKeysDoNotFit(
            f"the card refused the PSAM's authentication ({exc.remaining} PUK tries left on the card): "
            "the PSAM's keys do not fit this card"
        ) from None
    return algorithm, factors(profile.PSAM_USAGE_STK >> 5, info.region, card_factor)


def _maintain(card: CardSession, psam: PsamSession, info: BasicInfo, new_pin: Pin | None) -> None:
    with card.transport.transaction(), psam.transport.transaction():
        algorithm, chain = _authenticate(card, psam, info)
        r2 = card.get_challenge(algorithm.challenge_length)
        psam.load_key(profile.PSAM_USAGE_STK, profile.PSAM_KEY_STK, chain, r2)
        if new_pin is None:
            mac = psam.mac(commands.pin_unblock_header(False, 0))
            card.send_pin_unblock(commands.pin_unblock(mac))
            return
        bcd = new_pin.bcd()
        clear = pin_block(algorithm, bcd)
        bcd[:] = bytes(len(bcd))
        try:
            encrypted = psam.encrypt(clear, sensitive=True)
        finally:
            clear[:] = bytes(len(clear))
        mac = psam.mac(commands.pin_unblock_header(True, len(encrypted)) + encrypted)
        card.send_pin_unblock(commands.pin_reset(encrypted, mac))


def reset_pin(card: CardSession, psam: PsamSession, info: BasicInfo, new_pin: Pin) -> None:
    """Set a new PIN for a holder who forgot it; clears a lock at the same time."""
    _maintain(card, psam, info, new_pin)


def unblock_pin(card: CardSession, psam: PsamSession, info: BasicInfo) -> None:
    """Clear the 6-strike lock and keep the PIN."""
    _maintain(card, psam, info, None)
