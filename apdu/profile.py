"""Every **profile** choice of the card spec, in one place.

Where public material does not decide a byte, the project chooses here; when a real card
says otherwise, this module is the one to correct. Facts marked [spec]/[field] in
`shared/spec/card.md` live beside the code that uses them.
"""

from __future__ import annotations

# --- Applications and files -------------------------------------------------------------
#: DF name of the social-security environment (SSSE) [spec]: "sx1.sh.社会保障" in GBK.
SSSE_NAME = "sx1.sh.社会保障".encode("gbk")
SSSE_FID = 0xDDF1
#: SFI of the SSSE directory file, announced in its FCI (tag 88) [field].
SSSE_DIR_SFI = 0x1E
EF05_FID, EF05_SFI = 0xEF05, 0x05
EF06_FID, EF06_SFI = 0xEF06, 0x06

# --- PIN --------------------------------------------------------------------------------
PIN_LENGTH = 6
#: Consecutive wrong PINs that block the application under the provincial rules [field].
DEFAULT_MAX_TRIES = 6
#: The usual initial PIN [field]; terminals refuse to transact with it or change to it.
DEFAULT_INITIAL_PIN = "123456"

# --- Reading the basic data -------------------------------------------------------------
#: Status words after which the terminal tries the next, more basic READ RECORD form
#: (whole file by SFI → whole file after SELECT → tag by tag → record by record).
READ_FALLBACK_SW = frozenset({0x6A86, 0x6A81, 0x6D00, 0x6B00})

# --- ATR --------------------------------------------------------------------------------
#: Historical bytes that precede the card factor on field cards (`00 81 54 4C 92`) and the
#: byte after its `86` marker (`84`), copied from a field ATR; their meaning is not public.
ATR_HISTORICAL_PREFIX = bytes.fromhex("0081544C92")
ATR_CARD_FACTOR_MARKER = 0x86
ATR_CARD_FACTOR_BYTE = 0x84
#: T=1 variant: TD1=81 (T=1, TD2 follows), TD2=31 (TA3, TB3 follow, T=1), IFSC FE, BWI/CWI 45.
ATR_T1_INTERFACE_BYTES = bytes.fromhex("8131FE45")

# --- Emulator personalisation -----------------------------------------------------------
#: Emulated cards derive their 4-byte authentication code (card id bytes 12..15) as the first
#: four bytes of SHA-256 over region ‖ serial; real cards carry an issuer MAC here.
AUTH_CODE_HASH = "sha256"
#: Value of the initialising-organisation item's fixed prefix [spec].
INIT_ORG_PREFIX = bytes.fromhex("9156000002")
#: Registered application provider identifier inside the card identification code [spec].
CARD_ID_RID = bytes.fromhex("D156000005")
