"""PIN policy the terminal applies before anything reaches the card (provincial rules)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from apdu import profile
from apdu.pin import Pin

from .errors import PolicyError, WeakPin

INITIAL_PIN_ENV = "SSCARD_INITIAL_PIN"


def initial_pin() -> Pin:
    """The initial PIN cards are issued with: 123456 unless the environment says otherwise."""
    return Pin(os.environ.get(INITIAL_PIN_ENV, profile.DEFAULT_INITIAL_PIN))


def weakness(new: Pin, old: Pin | None = None, initial: Pin | None = None) -> str | None:
    """Why `new` may not be used as a PIN, or None when it is acceptable."""
    digits = new.digits()
    try:
        values = [d - 0x30 for d in digits]
        steps = {b - a for a, b in zip(values, values[1:])}
        if steps == {0}:
            reason = "all digits are the same"
        elif steps == {1}:
            reason = "the digits form an ascending run (like 123456)"
        elif steps == {-1}:
            reason = "the digits form a descending run (like 654321)"
        elif initial is not None and new == initial:
            reason = "it is the initial PIN; choose a PIN of your own"
        elif old is not None and new == old:
            reason = "it is the same as the current PIN"
        else:
            reason = None
        values[:] = [0] * len(values)
        return reason
    finally:
        digits[:] = bytes(len(digits))


def check_new_pin(new: Pin, old: Pin | None = None, initial: Pin | None = None) -> None:
    reason = weakness(new, old, initial)
    if reason:
        raise WeakPin(f"new PIN refused: {reason}")


AGENT_RELATIONS = ("guardian", "relative", "other")


@dataclass(frozen=True)
class Actor:
    """Who does outlet PIN business: the operator, and the agent when the holder does not come."""

    operator: str
    agent_id: str | None = None
    agent_relation: str | None = None


def check_actor(actor: Actor) -> None:
    """Reset and unblock need an operator ID; an agent is recorded with both identity and relation."""
    if not actor.operator or not actor.operator.strip() or not actor.operator.isprintable():
        raise PolicyError("an operator ID is required for PIN reset and unblock")
    if bool(actor.agent_id) != bool(actor.agent_relation):
        raise PolicyError("an agent needs both --agent-id and --agent-relation")
    if actor.agent_relation and actor.agent_relation not in AGENT_RELATIONS:
        raise PolicyError(f"agent relation must be one of {', '.join(AGENT_RELATIONS)}")
