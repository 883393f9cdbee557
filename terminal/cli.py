"""`sscard`: the command line counter staff, kiosks and CI pipelines use."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import queue
import sys
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

import click

from apdu.errors import InvalidPinFormat, SscardError
from apdu.records import BasicInfo
from apdu.status import CardError, PinBlocked, WrongPin
from pinpad.console import ConsolePinSource
from pinpad.source import PinEntryError

from . import formats
from .errors import CardRefused, PinRefused, TransportError
from .pcsc import PcscTransport, list_readers
from .readers import open_transport
from .replay import RecordingTransport
from .service import PinService
from .session import CardSession
from .watch import CardEvent, CardWatcher

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_WRONG_PIN = 3
EXIT_PIN_BLOCKED = 4
EXIT_CARD_REFUSED = 5
EXIT_READER = 6
EXIT_PIN_REFUSED = 7
EXIT_CARD_ERROR = 8

EXIT_CODES = f"""Exit codes:

\b
  {EXIT_OK}  success
  {EXIT_ERROR}  unexpected error
  {EXIT_USAGE}  usage error (bad option or argument)
  {EXIT_WRONG_PIN}  wrong PIN (the message says how many tries are left)
  {EXIT_PIN_BLOCKED}  PIN blocked (unblock or reset it at a card outlet)
  {EXIT_CARD_REFUSED}  card refused (expired, lost, cancelled, not a social security card)
  {EXIT_READER}  reader, card presence or card state problem
  {EXIT_PIN_REFUSED}  PIN refused before reaching the card (weak, entries differ, bad format, cancelled)
  {EXIT_CARD_ERROR}  the card answered with another error status word
"""

F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, WrongPin):
        return EXIT_WRONG_PIN
    if isinstance(exc, PinBlocked):
        return EXIT_PIN_BLOCKED
    if isinstance(exc, CardRefused):
        return EXIT_CARD_REFUSED
    if isinstance(exc, TransportError):
        return EXIT_READER
    if isinstance(exc, (PinRefused, PinEntryError, InvalidPinFormat)):
        return EXIT_PIN_REFUSED
    if isinstance(exc, CardError):
        return EXIT_CARD_ERROR
    return EXIT_ERROR


def _result_name(exc: BaseException) -> str:
    return {
        EXIT_WRONG_PIN: "wrong_pin",
        EXIT_PIN_BLOCKED: "pin_blocked",
        EXIT_CARD_REFUSED: "card_refused",
        EXIT_READER: "reader_error",
        EXIT_PIN_REFUSED: "pin_refused",
        EXIT_CARD_ERROR: "card_error",
    }.get(exit_code_for(exc), "error")


def reports_errors(func: F) -> F:
    """Turn the project's typed errors into one clear line on stderr (or JSON) and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SscardError as exc:
            if kwargs.get("as_json"):
                doc: dict[str, Any] = {"result": _result_name(exc), "error": str(exc)}
                if isinstance(exc, WrongPin):
                    doc["tries_left"] = exc.remaining
                if isinstance(exc, CardError):
                    doc["sw"] = f"{exc.sw:04X}"
                click.echo(json.dumps(doc, ensure_ascii=False))
            else:
                click.echo(f"sscard: {exc}", err=True)
                chinese = getattr(exc, "message_chinese", None)
                if chinese:
                    click.echo(f"sscard: {chinese}", err=True)
            sys.exit(exit_code_for(exc))

    return wrapper  # type: ignore[return-value]


def reader_option(func: F) -> F:
    func = click.option("--exclusive", is_flag=True, help="Hold the PC/SC reader exclusively (default: shared).")(func)
    return click.option(
        "--reader", "-r", default=None, envvar="SSCARD_READER", metavar="READER",
        help="A PC/SC reader (name, index or unique part of the name), emu:STATE.json (emulated card "
        "in-process) or replay:FILE.json (recording). Default: the only reader holding a card. "
        "Env: SSCARD_READER.",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(func)


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True,
              help="Log progress and the APDU trace on stderr (PINs and personal data redacted).")
def main(verbose: int) -> None:
    """Social security card terminal and PIN service (社会保障卡终端与密码服务)."""
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(name)s: %(message)s")
    logging.getLogger("sscard").setLevel(level)


@main.command()
@reader_option
@json_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "bas"]), default=None,
              help="text (default), json, or bas: the one-line iReadCardBas string of the vendors' interface.")
@click.option("--record", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the APDU exchanges to this file (a replay recording; no PIN is ever recorded).")
@reports_errors
def info(reader: str | None, exclusive: bool, as_json: bool, fmt: str | None, record: Path | None) -> None:
    """Read and print the card identification and the holder's basic information."""
    fmt = fmt or ("json" if as_json else "text")
    transport = open_transport(reader, exclusive=exclusive)
    if record is not None:
        transport = RecordingTransport(transport, record)
    with transport:
        card = CardSession(transport).read_basic_info()
    click.echo(_render(card, fmt))


def _render(card: BasicInfo, fmt: str) -> str:
    today = dt.date.today()
    if fmt == "json":
        return json.dumps(formats.to_json(card, today), ensure_ascii=False)
    if fmt == "bas":
        return formats.to_bas(card)
    return formats.to_text(card, today)


@main.command()
@json_option
@reports_errors
def readers(as_json: bool) -> None:
    """List the PC/SC readers, whether each holds a card, and the card's ATR."""
    statuses = list_readers()
    if as_json:
        click.echo(json.dumps([
            {"index": r.index, "name": r.name, "card_present": r.card_present, "atr": r.atr.hex().upper()}
            for r in statuses
        ]))
        return
    if not statuses:
        click.echo("no readers")
    for r in statuses:
        state = f"card {r.atr.hex().upper()}" if r.card_present else "no card"
        click.echo(f"{r.index}: {r.name}: {state}")


@main.command()
@json_option
@reports_errors
def watch(as_json: bool) -> None:
    """Wait for cards to be inserted and removed, printing each card's basic info; Ctrl-C stops."""
    watcher = CardWatcher()
    events: queue.Queue[CardEvent | BaseException | None] = queue.Queue()

    def pump() -> None:
        try:
            for event in watcher.events():
                events.put(event)
            events.put(None)
        except BaseException as exc:  # reported by the main thread, never lost
            events.put(exc)

    worker = threading.Thread(target=pump, name="sscard-watch", daemon=True)
    worker.start()
    try:
        while (item := events.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            click.echo(_describe_event(item, as_json))
    except KeyboardInterrupt:
        pass
    finally:
        watcher.cancel()
        worker.join(5)
        watcher.close()


def _describe_event(event: CardEvent, as_json: bool) -> str:
    doc: dict[str, Any] = {"event": event.kind, "reader": event.reader}
    text = f"card {event.kind} {'in' if event.kind == 'inserted' else 'from'} {event.reader}"
    if event.kind == "inserted":
        doc["atr"] = event.atr.hex().upper()
        try:
            with PcscTransport(event.reader) as transport:
                card = CardSession(transport).read_basic_info()
            doc["card"] = formats.to_json(card, dt.date.today())
            text += "\n" + _render(card, "text")
        except SscardError as exc:
            doc["error"] = str(exc)
            text += f"\ncannot read the card: {exc}"
    return json.dumps(doc, ensure_ascii=False) if as_json else text


@main.command()
@reader_option
@json_option
@reports_errors
def verify(reader: str | None, exclusive: bool, as_json: bool) -> None:
    """Verify the holder's PIN (asked without echo, or one line from stdin when it is not a terminal)."""
    with open_transport(reader, exclusive=exclusive) as transport:
        result = PinService(CardSession(transport)).verify(ConsolePinSource())
    if as_json:
        click.echo(json.dumps({"result": "verified", "initial_pin": result.initial_pin, "must_change": result.initial_pin}))
    else:
        click.echo("PIN verified")
    if result.initial_pin:
        click.echo("This is still the initial PIN: change it now with `sscard change-pin` (初始密码，请修改).", err=True)


@main.command("change-pin")
@reader_option
@json_option
@reports_errors
def change_pin(reader: str | None, exclusive: bool, as_json: bool) -> None:
    """Change the PIN: the current PIN, then the new PIN twice. Weak PINs are refused."""
    with open_transport(reader, exclusive=exclusive) as transport:
        PinService(CardSession(transport)).change_pin(ConsolePinSource())
    click.echo(json.dumps({"result": "changed"}) if as_json else "PIN changed")


def _load_plugins() -> None:
    for ep in entry_points(group="sscard.commands"):
        main.add_command(ep.load(), ep.name)


_load_plugins()
