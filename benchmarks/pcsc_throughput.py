#!/usr/bin/env python3
"""APDU throughput through pcscd + vpcd against in-process, in one run; read_basic_info wall time.

Needs a running pcscd with the vpcd driver (`make benchmark` starts one). The emulated card
runs in its own process (`sscard emulate`), as at a counter, so pcscd, the card and this
client share the machine's cores. Goal: >= 5,000 APDUs/s through pcscd.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from apdu import commands, profile
from apdu.pin import Pin
from emulator import store
from emulator.card import SocialSecurityCard
from emulator.personalise import Holder, personalise
from terminal.channel import CardChannel
from terminal.inprocess import InProcessTransport
from terminal.pcsc import PcscTransport, list_readers
from terminal.session import CardSession
from terminal.transport import Transport

READER = "Virtual PCD 00 00"


def state(protocol: int):
    with Pin("123456") as pin:
        return personalise(Holder(), pin, protocol=protocol, today=dt.date.today())


def rate(transport: Transport, count: int) -> float:
    """Seconds per APDU for `count` SELECT + READ RECORD pairs."""
    channel = CardChannel(transport)
    select = commands.select_by_name(profile.SSSE_NAME)
    read = commands.read_file_by_sfi(profile.EF05_SFI)
    start = time.perf_counter()
    for _ in range(count // 2):
        channel.send(select)
        channel.call(read, 64)
    return (time.perf_counter() - start) / channel.exchanges


def wait_for_card(atr: bytes, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r.name == READER and r.card_present and r.atr == atr for r in list_readers()):
            return
        time.sleep(0.05)
    raise SystemExit(f"the emulated card did not appear in {READER!r}; is pcscd running with vsmartcard-vpcd?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=4000, help="APDUs per measurement")
    args = parser.parse_args()
    sscard = str(Path(sys.executable).with_name("sscard"))
    for protocol in (0, 1):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "card.json"
            card_state = state(protocol)
            store.save(path, card_state)
            emulator = subprocess.Popen([sscard, "emulate", str(path)], stderr=subprocess.DEVNULL)
            try:
                wait_for_card(card_state.atr)
                with PcscTransport(READER) as transport:
                    rate(transport, 200)  # warm up
                    through_pcscd = rate(transport, args.count)
                    start = time.perf_counter()
                    runs = 200
                    for _ in range(runs):
                        CardSession(transport).read_basic_info()
                    basic = (time.perf_counter() - start) / runs
            finally:
                emulator.terminate()
                emulator.wait(10)
        local = InProcessTransport(SocialSecurityCard(state(protocol)))
        local.connect()
        in_process = rate(local, args.count)
        print(f"T={protocol}: through pcscd+vpcd {1 / through_pcscd:,.0f} APDUs/s ({through_pcscd * 1e6:.0f} µs/APDU); "
              f"in-process {1 / in_process:,.0f} APDUs/s ({in_process * 1e6:.1f} µs/APDU); "
              f"pcscd path costs {through_pcscd / in_process:.0f}x per APDU")
        print(f"T={protocol}: read_basic_info through pcscd: {basic * 1e3:.2f} ms wall (3 APDUs)")


if __name__ == "__main__":
    main()
