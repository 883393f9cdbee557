"""PINs typed at the console: no echo on a terminal, one line per PIN when stdin is piped."""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from apdu.pin import Pin

from .source import PinEntryCancelled, PinSource


class ConsolePinSource(PinSource):
    def __init__(self, stdin: TextIO | None = None, prompt_stream: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.prompt_stream = prompt_stream or sys.stderr

    def read_pin(self, prompt: str) -> Pin:
        try:
            if self.stdin.isatty():
                text = getpass.getpass(prompt, stream=self.prompt_stream)
            else:
                self.prompt_stream.write(prompt)
                self.prompt_stream.flush()
                text = self.stdin.readline()
                if not text:
                    raise PinEntryCancelled("PIN entry cancelled: no PIN on standard input (end of input)")
                self.prompt_stream.write("\n")
        except (KeyboardInterrupt, EOFError):
            raise PinEntryCancelled() from None
        return Pin(text.rstrip("\r\n"))
