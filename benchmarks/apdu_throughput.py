#!/usr/bin/env python3
"""In-process APDU throughput through terminal + emulator, and the cost of read_basic_info.

Prints per-operation figures: APDUs per second and microseconds per APDU for a SELECT/READ
mix through the protocol layer, and the number of APDUs and bytes `read_basic_info`
exchanges on T=0 and T=1 cards (goal: the minimum the card layout allows: 3 APDUs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from apdu import commands, profile
from apdu.pin import Pin
from emulator.card import SocialSecurityCard
from emulator.personalise import Holder, personalise
from terminal.channel import CardChannel
from terminal.inprocess import InProcessTransport
from terminal.session import CardSession


def card(protocol: int) -> SocialSecurityCard:
    with Pin("123456") as pin:
        return SocialSecurityCard(personalise(Holder(), pin, protocol=protocol, today=dt.date.today()))


def throughput(protocol: int, count: int) -> tuple[float, float]:
    transport = InProcessTransport(card(protocol))
    transport.connect()
    channel = CardChannel(transport)
    channel.call(commands.select_by_name(profile.SSSE_NAME))
    read = commands.read_file_by_sfi(profile.EF05_SFI)
    start = time.perf_counter()
    for _ in range(count):
        channel.call(read, 64)
    elapsed = time.perf_counter() - start
    return channel.exchanges - 1, elapsed


def basic_info_cost(protocol: int, long_name: bool = False) -> tuple[int, int, int, float]:
    transport = InProcessTransport(SocialSecurityCard(personalise(
        Holder(name="阿" * 20) if long_name else Holder(), Pin("123456"), protocol=protocol, today=dt.date.today())))
    transport.connect()
    session = CardSession(transport)
    start = time.perf_counter()
    session.read_basic_info()
    elapsed = time.perf_counter() - start
    ch = session.channel
    return ch.exchanges, ch.bytes_sent, ch.bytes_received, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20000, help="READ RECORD commands to time")
    args = parser.parse_args()
    for protocol in (0, 1):
        apdus, elapsed = throughput(protocol, args.count)
        print(f"in-process T={protocol}: {apdus / elapsed:,.0f} APDUs/s, {elapsed / apdus * 1e6:.1f} µs per APDU "
              f"({apdus} READ RECORD of 64 bytes)")
    for protocol in (0, 1):
        for long_name in (False, True):
            n, sent, received, elapsed = basic_info_cost(protocol, long_name)
            label = "40-byte name (4E)" if long_name else "usual card"
            print(f"read_basic_info T={protocol}, {label}: {n} APDUs, {sent} bytes sent, {received} bytes received, "
                  f"{elapsed * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
