"""How the terminal reaches an emulated card without importing this package.

Registered under the `sscard.cards` entry-point group as `emu`: the terminal's `emu:PATH`
reader calls `open_card(PATH)` and drives the returned card through its in-process
transport (power_on / execute / power_off).
"""

from __future__ import annotations

from .card import SocialSecurityCard
from .store import FileStore


def open_card(path: str) -> SocialSecurityCard:
    """Load the card at `path`; every state change is written back to it atomically."""
    store = FileStore(path)
    return SocialSecurityCard(store.load(), store)
