"""The protocol layer above any transport: T=0 GET RESPONSE (61xx) and Le re-issue (6Cxx).

This is the only place that knows about 61xx and 6Cxx (pySim's lesson: keep them in one
layer). A PIN-bearing command is sent exactly once; it is never re-issued automatically.
"""

from __future__ import annotations

from apdu import commands
from apdu.command import Command
from apdu.response import Response
from apdu.status import raise_for_status

from . import trace
from .errors import ProtocolError
from .transport import Transport

MAX_GET_RESPONSE = 32


class CardChannel:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.exchanges = 0
        self.bytes_sent = 0
        self.bytes_received = 0

    @property
    def protocol(self) -> int:
        return self.transport.protocol

    def _exchange(self, command: Command) -> Response:
        raw = command.encode()
        sensitive = commands.is_pin_bearing(command)
        trace.command(raw, sensitive)
        answer = self.transport.transmit(raw)
        trace.response(answer, sensitive)
        self.exchanges += 1
        self.bytes_sent += len(raw)
        self.bytes_received += len(answer)
        return Response.decode(answer)

    def send(self, command: Command, expect: int | None = None) -> Response:
        """Send `command` and return the card's final answer, after 61xx/6Cxx handling.

        `expect` is the number of bytes the caller expects for a case-2 command sent with the
        maximum Le; on T=0 it is sent as Le, sparing the 6Cxx round trip when it is right.
        """
        if expect is not None and self.protocol == 0 and command.case == 2 and command.le == 256:
            command = command.with_le(expect)
        response = self._exchange(command)
        if response.sw1 == 0x6C and not commands.is_pin_bearing(command) and command.le is not None:
            response = self._exchange(command.with_le(response.sw2 or 256))
        if response.sw1 == 0x61 and command.le is not None:
            response = self._collect(response)
        return response

    def _collect(self, first: Response) -> Response:
        data = bytearray(first.data)
        response = first
        for _ in range(MAX_GET_RESPONSE):
            if response.sw1 != 0x61:
                return Response(bytes(data), response.sw1, response.sw2)
            response = self._exchange(commands.get_response(response.sw2 or 256))
            if response.sw1 == 0x6C:
                response = self._exchange(commands.get_response(response.sw2 or 256))
            data += response.data
        raise ProtocolError(f"card kept answering 61xx after {MAX_GET_RESPONSE} GET RESPONSE commands")

    def call(self, command: Command, expect: int | None = None) -> bytes:
        """Send and return the data, raising the typed error of any failing status word."""
        response = self.send(command, expect)
        raise_for_status(response.sw)
        return response.data
