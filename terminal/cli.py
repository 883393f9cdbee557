"""`sscard`: the command line counter staff, kiosks and CI pipelines use."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

import click

from apdu.errors import InvalidPinFormat, SscardError
from apdu.records import BasicInfo
from apdu.status import CardError, PinBlocked, WrongPin
from pinpad.source import PinEntryError

from . import formats
from .audit import AuditLog
from .errors import AuditError, CardRefused, PinRefused, PolicyError, PsamError, TransportError
from .pcsc import PcscTransport, list_readers
from .pinentry import PINPAD_HELP, check_pin_source, open_pin_source
from .policy import AGENT_RELATIONS, Actor
from .psam import PsamSession
from .readers import open_transport
from .masking import mask
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
EXIT_PSAM = 9
EXIT_AUDIT = 10

EXIT_CODES = f"""Exit codes:

\b
  {EXIT_OK}  success
  {EXIT_ERROR}  unexpected error
  {EXIT_USAGE}  usage error (bad option or argument)
  {EXIT_WRONG_PIN}  wrong PIN (the message says how many tries are left)
  {EXIT_PIN_BLOCKED}  PIN blocked (unblock or reset it at a card outlet)
  {EXIT_CARD_REFUSED}  card refused (expired, not a social security card)
  {EXIT_READER}  reader, card presence or card state problem
  {EXIT_PIN_REFUSED}  PIN refused before reaching the card (weak, entries differ, bad format, cancelled)
  {EXIT_CARD_ERROR}  the card answered with another error status word
  {EXIT_PSAM}  security module (PSAM) missing, of another algorithm, or with keys that do not fit
  {EXIT_AUDIT}  the audit trail could not be written or read (the message says whether the card was changed)
"""

F = TypeVar("F", bound=Callable[..., Any])


#: First match wins: the specific card answers before the general card error.
_EXIT_CODES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], int], ...] = (
    (WrongPin, EXIT_WRONG_PIN),
    (PinBlocked, EXIT_PIN_BLOCKED),
    (CardRefused, EXIT_CARD_REFUSED),
    (PsamError, EXIT_PSAM),
    (AuditError, EXIT_AUDIT),
    (PolicyError, EXIT_USAGE),
    (TransportError, EXIT_READER),
    ((PinRefused, PinEntryError, InvalidPinFormat), EXIT_PIN_REFUSED),
    (CardError, EXIT_CARD_ERROR),
)


def exit_code_for(exc: BaseException) -> int:
    return next((code for types, code in _EXIT_CODES if isinstance(exc, types)), EXIT_ERROR)


def _result_name(exc: BaseException) -> str:
    return {
        EXIT_WRONG_PIN: "wrong_pin",
        EXIT_PIN_BLOCKED: "pin_blocked",
        EXIT_CARD_REFUSED: "card_refused",
        EXIT_READER: "reader_error",
        EXIT_PIN_REFUSED: "pin_refused",
        EXIT_CARD_ERROR: "card_error",
        EXIT_PSAM: "psam_error",
        EXIT_AUDIT: "audit_error",
        EXIT_USAGE: "refused",
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


def pinpad_option(func: F) -> F:
    func = click.option("--allow-clear-pinpad", is_flag=True,
                        help="Allow a clear-text serial PIN pad (the PIN passes through this computer).")(func)
    return click.option("--pinpad", default="console", show_default=True, envvar="SSCARD_PINPAD", help=PINPAD_HELP)(func)


@contextlib.contextmanager
def pin_source(spec: str, transport: Any, allow_clear: bool) -> Iterator[Any]:
    source = open_pin_source(spec, transport, allow_clear=allow_clear)
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


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
@pinpad_option
@json_option
@reports_errors
def verify(reader: str | None, exclusive: bool, pinpad: str, allow_clear_pinpad: bool, as_json: bool) -> None:
    """Verify the holder's PIN (asked without echo, or one line from stdin when it is not a terminal)."""
    with open_transport(reader, exclusive=exclusive) as transport, \
            pin_source(pinpad, transport, allow_clear_pinpad) as source:
        result = PinService(CardSession(transport)).verify(source)
    if as_json:
        click.echo(json.dumps({"result": "verified", "initial_pin": result.initial_pin, "must_change": result.initial_pin}))
    else:
        click.echo("PIN verified")
    if result.initial_pin:  # None: a secure PIN pad kept the PIN from us
        click.echo("This is still the initial PIN: change it now with `sscard change-pin` (初始密码，请修改).", err=True)


@main.command("change-pin")
@reader_option
@pinpad_option
@json_option
@reports_errors
def change_pin(reader: str | None, exclusive: bool, pinpad: str, allow_clear_pinpad: bool, as_json: bool) -> None:
    """Change the PIN: the current PIN, then the new PIN twice. Weak PINs are refused (a secure
    PIN pad keeps the digits from this computer, so there the pad's own rules apply)."""
    with open_transport(reader, exclusive=exclusive) as transport, \
            pin_source(pinpad, transport, allow_clear_pinpad) as source:
        PinService(CardSession(transport)).change_pin(source)
    click.echo(json.dumps({"result": "changed"}) if as_json else "PIN changed")


def audit_log_option(func: F) -> F:
    return click.option(
        "--audit-log", type=click.Path(dir_okay=False, path_type=Path), envvar="SSCARD_AUDIT_LOG", default=None,
        help="Audit trail (JSON lines). Default: $XDG_STATE_HOME/sscard/audit.jsonl. Env: SSCARD_AUDIT_LOG.",
    )(func)


def outlet_options(func: F) -> F:
    """--psam, --operator, the agent and the audit trail: what outlet PIN business needs."""
    for option in reversed([
        click.option("--psam", "-p", required=True, envvar="SSCARD_PSAM", metavar="READER",
                     help="The security module: a PC/SC reader (e.g. 'Virtual PCD 00 01') or emu:PSAM.json. Env: SSCARD_PSAM."),
        click.option("--operator", required=True, help="ID of the counter operator doing this (required)."),
        click.option("--agent-id", default=None, help="ID of the agent acting for the holder."),
        click.option("--agent-relation", type=click.Choice(AGENT_RELATIONS), default=None, help="The agent's relation to the holder."),
        audit_log_option,
    ]):
        func = option(func)
    return func


@contextlib.contextmanager
def outlet(reader: str | None, exclusive: bool, psam: str, operator: str, agent_id: str | None,
           agent_relation: str | None, audit_log: Path | None) -> Iterator[tuple[PinService, PsamSession, Actor, AuditLog]]:
    """The card and PSAM readers opened, with who acts and where it is recorded."""
    with open_transport(reader, exclusive=exclusive) as card_transport, open_transport(psam) as psam_transport:
        yield (PinService(CardSession(card_transport)), PsamSession(psam_transport),
               Actor(operator, agent_id, agent_relation), AuditLog(audit_log))


@main.command("reset-pin")
@reader_option
@outlet_options
@pinpad_option
@json_option
@reports_errors
def reset_pin(pinpad: str, allow_clear_pinpad: bool, as_json: bool, **where: Any) -> None:
    """Outlet: set a new PIN for a holder who forgot it (new PIN twice); also clears a lock."""
    with outlet(**where) as (service, psam, actor, audit), \
            pin_source(pinpad, service.session.transport, allow_clear_pinpad) as source:
        info = service.reset_pin(source, psam, actor, audit)
    click.echo(json.dumps({"result": "reset"}) if as_json else f"PIN reset for card {mask(info.card_number)}; the card is unblocked")


@main.command()
@reader_option
@outlet_options
@pinpad_option
@json_option
@reports_errors
def unblock(pinpad: str, allow_clear_pinpad: bool, as_json: bool, **where: Any) -> None:
    """Outlet: clear the lock after 6 wrong PINs; the PIN stays as it was (no PIN is entered, so
    --pinpad is accepted and checked for uniform counter scripts, but no PIN pad is opened)."""
    check_pin_source(pinpad, allow_clear=allow_clear_pinpad)
    with outlet(**where) as (service, psam, actor, audit):
        info = service.unblock(psam, actor, audit)
    click.echo(json.dumps({"result": "unblocked"}) if as_json else f"card {mask(info.card_number)} unblocked; the PIN is unchanged")


@main.command()
@json_option
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Only records from this day on.")
@audit_log_option
@reports_errors
def audit(as_json: bool, since: dt.datetime | None, audit_log: Path | None) -> None:
    """List the audit trail of outlet PIN business."""
    records = AuditLog(audit_log).records(since.date() if since else None)
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False))
        return
    for r in records:
        agent = r.get("agent") or {}
        via = f" via {agent.get('relation')} {agent.get('id')}" if agent else ""
        error = f" ({r['error']})" if r.get("error") else ""
        click.echo(f"{r.get('time')} {r.get('operation')} {r.get('outcome')}{error} card {r.get('card_number')} "
                   f"ssn {r.get('ssn')} operator {r.get('operator')}{via} reader {r.get('reader')} psam {r.get('psam')}")


def _load_plugins() -> None:
    for ep in entry_points(group="sscard.commands"):
        main.add_command(ep.load(), ep.name)


_load_plugins()
