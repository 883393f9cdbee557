"""A software social security card: an APDU handler with persistent state (vicc-style)."""
