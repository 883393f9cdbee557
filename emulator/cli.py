"""`sscard card …`: personalise emulated cards. Registered as a plugin command group."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
from pathlib import Path

import click

from apdu import profile
from apdu.errors import InvalidPinFormat
from apdu.pin import Pin

from . import store
from .keysets import DEFAULT_KEYSET, KEYSETS
from .personalise import Holder, PersonalisationError, personalise
from .plugin import open_card
from .psam import new_psam
from .state import StateError
from .vpcd import DEFAULT_HOST, DEFAULT_PORT, VpcdLink, parse_address


@click.group("card")
def card() -> None:
    """Personalise emulated cards (test cards only; no real keys or holders)."""


@card.command("new")
@click.argument("state", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default=Holder.name, show_default=True, help="Holder name (Chinese characters, GBK).")
@click.option("--ssn", default=Holder.ssn, show_default=True, help="Social security number (18-character ID).")
@click.option("--card-no", "card_number", default=Holder.card_number, show_default=True, help="Card number with check character.")
@click.option("--region", default=Holder.region, show_default=True, help="Issuing region code (GB/T 2260).")
@click.option("--category", type=click.Choice(["1", "2", "3", "4"]), default=Holder.category, show_default=True,
              help="1 preschool, 2 student, 3 adult, 4 elderly.")
@click.option("--sex", type=click.Choice(["1", "2", "9"]), default=None, help="Default: from the ID number.")
@click.option("--nation", default=Holder.nation, show_default=True, help="Ethnic group, GB 3304 code.")
@click.option("--birthplace", default=None, help="Region code of birth. Default: from the ID number.")
@click.option("--birth-date", default=None, help="YYYYMMDD. Default: from the ID number.")
@click.option("--issued", default=None, help="Issue date YYYYMMDD. Default: today.")
@click.option("--expires", default=None, help="Expiry date YYYYMMDD. Default: 10 years after issue.")
@click.option("--spec-version", default=Holder.spec_version, show_default=True, help="1.00, 2.00 or 3.00.")
@click.option("--serial", default=Holder.serial, show_default=True, help="Card serial, 8 hex digits.")
@click.option("--pin", "pin_text", default=profile.DEFAULT_INITIAL_PIN, show_default=True,
              help="Initial PIN of this emulated TEST card (personalisation data, not a holder's PIN).")
@click.option("--max-tries", default=profile.DEFAULT_MAX_TRIES, show_default=True, type=int,
              help="Consecutive wrong PINs that block the card.")
@click.option("--protocol", type=click.Choice(["T=0", "T=1"]), default="T=0", show_default=True)
@click.option("--keyset", "keyset_name", type=click.Choice(sorted(KEYSETS)), default=None,
              help="TEST key set the card's keys are diversified from. Default: test-sm4 for spec version "
              "3.00 cards, test-3des otherwise.")
@click.option("--force", is_flag=True, help="Overwrite an existing state file.")
def new(state: Path, pin_text: str, max_tries: int, protocol: str, keyset_name: str | None, force: bool,
        **fields: str | None) -> None:
    """Personalise an emulated card into the state file STATE."""
    if state.exists() and not force:
        raise click.UsageError(f"{state} exists; pass --force to overwrite it")
    try:
        pin = Pin(pin_text)
    except InvalidPinFormat as exc:
        raise click.BadParameter(str(exc), param_hint="--pin") from None
    holder = Holder(**{k: v for k, v in fields.items() if v is not None})  # type: ignore[arg-type]
    try:
        with pin:
            card_state = personalise(holder, pin, max_tries=max_tries, protocol=int(protocol[-1]),
                                     today=dt.date.today(), keyset_name=keyset_name)
    except PersonalisationError as exc:
        raise click.UsageError(str(exc)) from None
    store.save(state, card_state)
    click.echo(f"personalised emulated card {holder.card_number} ({protocol}, {max_tries} PIN tries, "
               f"{card_state.keys.algorithm.value} TEST keys) in {state}")


@card.command("new-psam")
@click.argument("state", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--keyset", "keyset_name", type=click.Choice(sorted(KEYSETS)), default=DEFAULT_KEYSET, show_default=True,
              help="TEST key set (never real keys): test-3des for 2nd-generation cards, test-sm4 for 3rd.")
@click.option("--terminal-number", default="210100000001", show_default=True, help="终端机编号, 12 digits (EF16).")
@click.option("--force", is_flag=True, help="Overwrite an existing state file.")
def new_psam_command(state: Path, keyset_name: str, terminal_number: str, force: bool) -> None:
    """Personalise an emulated PSAM (security module) with a TEST key set into STATE."""
    if state.exists() and not force:
        raise click.UsageError(f"{state} exists; pass --force to overwrite it")
    try:
        psam_state = new_psam(keyset_name, terminal_number)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    store.save(state, psam_state)
    click.echo(f"personalised emulated TEST PSAM ({keyset_name}, terminal {terminal_number}) in {state}")


@click.command("emulate")
@click.argument("state", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vpcd", "address", default=f"{DEFAULT_HOST}:{DEFAULT_PORT}", show_default=True,
              help="HOST:PORT of pcscd's vpcd slot (35963 is `Virtual PCD 00 00`, 35964 `Virtual PCD 00 01`).")
@click.option("--psam", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also insert this emulated PSAM in the next vpcd slot (port + 1: `Virtual PCD 00 01`).")
def emulate(state: Path, address: str, psam: Path | None) -> None:
    """Insert the emulated card (or PSAM) STATE into a running pcscd's vpcd slot until Ctrl-C.

    The state file is written after every command that changes it; a lost link to vpcd is
    retried with back-off and reported.
    """
    try:
        host, port = parse_address(address)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--vpcd") from None
    try:
        links = [VpcdLink(open_card(str(state)), host, port)]
        if psam is not None:
            links.append(VpcdLink(open_card(str(psam)), host, port + 1))
    except StateError as exc:
        click.echo(f"sscard: {exc}", err=True)
        sys.exit(6)
    logging.getLogger("sscard.vpcd").setLevel(logging.INFO)

    def stop(*_: object) -> None:
        for link in links:
            link.stop()

    signal.signal(signal.SIGTERM, stop)
    for link, path in zip(links, [state, psam]):
        click.echo(f"emulating {path} on vpcd {host}:{link.port} (Ctrl-C stops)", err=True)
    helpers = [threading.Thread(target=link.serve_forever, daemon=True) for link in links[1:]]
    for helper in helpers:
        helper.start()
    try:
        links[0].serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for helper in helpers:
            helper.join(5)
    click.echo("emulation stopped", err=True)
