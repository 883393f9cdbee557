"""Turn a `--reader` value into a transport.

`emu:PATH` opens an emulated card through the `sscard.cards` entry point (the terminal never
imports the emulator), `replay:FILE` plays a recording. Anything else names a PC/SC reader.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from .errors import ReaderUnavailable
from .inprocess import InProcessTransport
from .pcsc import PcscTransport, choose_reader, list_readers
from .replay import ReplayTransport
from .transport import Transport

CARD_PLUGINS = "sscard.cards"


def open_transport(spec: str | None, *, exclusive: bool = False) -> Transport:
    """`emu:PATH`, `replay:FILE`, or a PC/SC reader by name, index or unique substring.

    With no spec, the only PC/SC reader holding a card is used.
    """
    if spec is None:
        return PcscTransport(choose_reader(None, list_readers()), exclusive=exclusive)
    scheme, sep, rest = spec.partition(":")
    if sep and scheme == "replay":
        return ReplayTransport(rest)
    if sep and scheme in _card_plugins():
        factory = _card_plugins()[scheme].load()
        try:
            card = factory(rest)
        except Exception as exc:  # the plugin's own error, reported as an unusable reader
            raise ReaderUnavailable(f"cannot open {spec}: {exc}") from exc
        return InProcessTransport(card, name=spec)
    return PcscTransport(choose_reader(spec, list_readers()), exclusive=exclusive)


def _card_plugins() -> dict:  # type: ignore[type-arg]
    return {ep.name: ep for ep in entry_points(group=CARD_PLUGINS)}
