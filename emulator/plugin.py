"""How the terminal reaches an emulated card without importing this package.

Registered under the `sscard.cards` entry-point group as `emu`: the terminal's `emu:PATH`
reader calls `open_card(PATH)` and drives the returned card through its in-process
transport (power_on / execute / power_off).
"""

from __future__ import annotations

from .base import ApduCard
from .card import SocialSecurityCard
from .psam import Psam, PsamState
from .store import FileStore, load_any


def open_card(path: str) -> ApduCard:
    """Load the card or PSAM at `path`; every state change of a card is written back atomically."""
    state = load_any(path)
    if isinstance(state, PsamState):
        return Psam(state)
    return SocialSecurityCard(state, FileStore(path))
