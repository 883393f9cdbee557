"""The emulated card as a vpcd client: it appears as `Virtual PCD 00 0N` to every PC/SC program.

Wire protocol (vsmartcard): each message is a 2-byte big-endian length and a payload. A
1-byte payload is a control message — 0 power off, 1 power on, 2 reset (no answer), 4 get
ATR (answered with the ATR) — anything longer is an APDU, answered with the response.

Speed: vpcd writes the length and the body separately without TCP_NODELAY; with delayed
ACK on our side each APDU stalls ~40 ms. Setting TCP_QUICKACK before every receive and
sending each reply in one write with TCP_NODELAY gives thousands of APDUs per second.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Protocol

log = logging.getLogger("sscard.vpcd")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963

POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


class Card(Protocol):
    def power_on(self) -> bytes: ...

    def power_off(self) -> None: ...

    def reset(self) -> bytes: ...

    def execute(self, apdu: bytes) -> bytes: ...

    @property
    def atr(self) -> bytes: ...


class LinkClosed(Exception):
    """vpcd closed the connection."""


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        return text or DEFAULT_HOST, DEFAULT_PORT
    try:
        return host or DEFAULT_HOST, int(port)
    except ValueError:
        raise ValueError(f"--vpcd expects HOST:PORT, got {text!r}") from None


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class VpcdLink:
    """Connects one card to one vpcd slot and serves it until `stop()` (or Ctrl-C)."""

    def __init__(self, card: Card, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 max_backoff: float = 2.0) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.max_backoff = max_backoff
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None

    # --- life cycle ----------------------------------------------------------------------
    def stop(self) -> None:
        """Stop serving; safe from another thread or a signal handler."""
        self._stop.set()
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve_forever(self) -> None:
        """Serve, reconnecting with back-off whenever vpcd is unreachable or drops the link."""
        delay = 0.05
        while not self._stop.is_set():
            try:
                self._sock = socket.create_connection((self.host, self.port), timeout=5)
            except OSError as exc:
                log.warning("vpcd at %s:%d unreachable (%s); retrying in %.1f s", self.host, self.port, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            delay = 0.05
            try:
                self._serve(self._sock)
            except (LinkClosed, OSError) as exc:
                if not self._stop.is_set():
                    log.warning("link to vpcd %s:%d lost (%s); reconnecting", self.host, self.port, exc)
            finally:
                self.connected.clear()
                self.card.power_off()
                self._sock.close()
                self._sock = None
        log.info("card removed from vpcd %s:%d", self.host, self.port)

    # --- the protocol ----------------------------------------------------------------------
    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected.set()
        log.info("card inserted into vpcd %s:%d", self.host, self.port)
        while not self._stop.is_set():
            message = self._receive(sock)
            if len(message) == 1:
                reply = self._control(message[0])
                if reply is None:
                    continue
            else:
                reply = self.card.execute(message)
            sock.sendall(len(reply).to_bytes(2, "big") + reply)

    def _control(self, code: int) -> bytes | None:
        if code == GET_ATR:
            return self.card.atr
        if code == POWER_ON:
            self.card.power_on()
        elif code == RESET:
            self.card.reset()
        elif code == POWER_OFF:
            self.card.power_off()
        else:
            log.warning("unknown vpcd control message %02X ignored", code)
        return None

    def _receive(self, sock: socket.socket) -> bytes:
        header = self._exactly(sock, 2)
        return self._exactly(sock, int.from_bytes(header, "big"))

    @staticmethod
    def _exactly(sock: socket.socket, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            if _QUICKACK is not None:
                sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise LinkClosed("connection closed by vpcd")
            buf += chunk
        return bytes(buf)


def wait_connected(link: VpcdLink, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if link.connected.wait(0.05):
            return True
    return False
