"""Masking of the card number and social security number wherever they are logged."""

from __future__ import annotations


def mask(value: str, keep: int = 4) -> str:
    """All but the last `keep` characters replaced by `*` (an empty value stays empty)."""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]
