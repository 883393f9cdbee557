"""The project's root exception and the errors of malformed protocol data."""


class SscardError(Exception):
    """Root of every error this project raises on purpose."""


class MalformedCommand(SscardError, ValueError):
    """A command APDU whose bytes do not follow ISO 7816-4 (lengths, Lc/Le, cases)."""


class MalformedResponse(SscardError, ValueError):
    """A response APDU too short to hold SW1 SW2, or otherwise unusable."""


class MalformedTlv(SscardError, ValueError):
    """TLV data whose tags or lengths run past the end or are not encoded as required."""


class InvalidPinFormat(SscardError, ValueError):
    """A PIN that is not exactly six decimal digits. The message never shows the PIN."""


class InvalidAtr(SscardError, ValueError):
    """An answer-to-reset that does not follow ISO 7816-3."""
