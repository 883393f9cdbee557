"""A clear-text serial PIN pad simulator on a pty pair: the host opens the slave as a real TTY."""

from __future__ import annotations

import os
import threading
import tty

ESC, STX, ETX, CLOSE = 0x1B, 0x02, 0x03, 0x83


class PadSimulator:
    """Answers the ESC family. `script` holds one action per PIN request (ESC I / ESC E):
    a digit string, "cancel", "silent" (never answers), "noise:<digits>" (junk before the frame),
    "junk" (non-digits inside the frame) or "unplug" (the device disappears)."""

    def __init__(self, script: list[str], nibbles: bool = False) -> None:
        self.script = list(script)
        self.nibbles = nibbles
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave  # keep the pty alive until the host opens it
        self.received: list[str] = []
        self.closed = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _frame(self, body: bytes) -> bytes:
        if self.nibbles:
            body = b"".join(bytes((0x30 | (b >> 4), 0x30 | (b & 0x0F))) for b in body)
        return bytes((STX,)) + body + bytes((ETX,))

    def _send(self, data: bytes) -> None:
        os.write(self.master, data)

    def _run(self) -> None:
        buf = bytearray()
        while not self._stop.is_set():
            try:
                chunk = os.read(self.master, 64)
            except OSError:
                return
            buf += chunk
            while buf:
                if buf[0] == CLOSE:
                    self.closed += 1
                    self.received.append("close")
                    del buf[0]
                elif buf[0] == ESC and len(buf) >= 2 and buf[1] == ord("N"):
                    if len(buf) < 3:
                        break
                    self.received.append(f"length {chr(buf[2])}")
                    del buf[:3]
                    self._send(self._frame(b"OK"))
                elif buf[0] == ESC and len(buf) >= 2 and buf[1] in (ord("I"), ord("E")):
                    self.received.append("enter" if buf[1] == ord("I") else "enter again")
                    del buf[:2]
                    if not self._act():
                        return
                elif buf[0] == ESC and len(buf) < 2:
                    break
                else:
                    del buf[0]

    def _act(self) -> bool:
        action = self.script.pop(0) if self.script else "silent"
        if action == "cancel":
            self._send(self._frame(b"ER"))
        elif action == "silent":
            pass
        elif action == "junk":
            self._send(self._frame(b"12AB56"))
        elif action == "unplug":
            os.close(self.master)
            os.close(self._slave)
            return False
        elif action.startswith("noise:"):
            self._send(b"\xff\x00\x7fxx" + self._frame(action[6:].encode()))
        else:
            self._send(self._frame(action.encode()))
        return True

    def stop(self) -> None:
        self._stop.set()
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
