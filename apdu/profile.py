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

# --- Keys, PSAM and PIN maintenance (spec §5 profile) ------------------------------------
#: Card key ids: PUK for the PIN-unblock external authentication [spec].
CARD_KEY_PUK = 0x06
#: Failed external authentications a card allows on its PUK before blocking it.
PUK_TRY_LIMIT = 15
#: Spec versions whose cards use SM4 (3rd generation) [field]; others use 3DES.
SM4_SPEC_VERSIONS = frozenset({"3.00"})
#: The PSAM application DF and its files: EF15 public information, EF16 terminal number.
PSAM_DF_FID = 0xDF01
PSAM_EF15_SFI = 0x15
PSAM_EF16_SFI = 0x16
#: EF15 layout: serial (10 bytes) ‖ version (1) ‖ algorithm (1: 01 = 3DES, 04 = SM4).
PSAM_EF15_LENGTH = 12
PSAM_ALGORITHM_CODES = {0x01: "3des", 0x04: "sm4"}
#: PSAM key ids and usage bytes (bits 8-6: diversification levels; 0x68 = 3 levels:
#: province, city, card — so one PSAM serves cards of every region).
PSAM_KEY_PUK = 0x01
PSAM_KEY_STK = 0x02
PSAM_USAGE_PUK = 0x68
PSAM_USAGE_STK = 0x68
#: PSAM `80 FA` P1 values: 00 encrypt, 05 MAC (data = IV ‖ message; the PSAM pads, method 2).
PSAM_ENCRYPT = 0x00
PSAM_MAC = 0x05
