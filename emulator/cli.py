"""`sscard card …`: personalise emulated cards. Registered as a plugin command group."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
from pathlib import Path

import click

from apdu import profile
from apdu.errors import InvalidPinFormat
from apdu.pin import Pin

from . import store
from .card import SocialSecurityCard
from .personalise import Holder, PersonalisationError, personalise
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
@click.option("--force", is_flag=True, help="Overwrite an existing state file.")
def new(state: Path, pin_text: str, max_tries: int, protocol: str, force: bool, **fields: str | None) -> None:
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
            card_state = personalise(holder, pin, max_tries=max_tries, protocol=int(protocol[-1]), today=dt.date.today())
    except PersonalisationError as exc:
        raise click.UsageError(str(exc)) from None
    store.save(state, card_state)
    click.echo(f"personalised emulated card {holder.card_number} ({protocol}, {max_tries} PIN tries) in {state}")


@click.command("emulate")
@click.argument("state", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vpcd", "address", default=f"{DEFAULT_HOST}:{DEFAULT_PORT}", show_default=True,
              help="HOST:PORT of pcscd's vpcd slot (35963 is `Virtual PCD 00 00`, 35964 `Virtual PCD 00 01`).")
def emulate(state: Path, address: str) -> None:
    """Insert the emulated card STATE into a running pcscd's vpcd slot until Ctrl-C.

    The state file is written after every command that changes it; a lost link to vpcd is
    retried with back-off and reported.
    """
    try:
        host, port = parse_address(address)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--vpcd") from None
    try:
        card_state = store.load(state)
    except StateError as exc:
        click.echo(f"sscard: {exc}", err=True)
        sys.exit(6)
    link = VpcdLink(SocialSecurityCard(card_state, store.FileStore(state)), host, port)
    logging.getLogger("sscard.vpcd").setLevel(logging.INFO)
    signal.signal(signal.SIGTERM, lambda *_: link.stop())
    click.echo(f"emulating card {state} on vpcd {host}:{port} (Ctrl-C stops)", err=True)
    try:
        link.serve_forever()
    except KeyboardInterrupt:
        link.stop()
    click.echo("emulation stopped", err=True)
