"""Load and save a card state file: JSON, written atomically (temp file, fsync, rename)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .psam import FORMAT as PSAM_FORMAT
from .psam import PsamState
from .state import CardState, StateError


def load(path: str | os.PathLike[str]) -> CardState:
    """A card state; a PSAM or other document is refused."""
    state = load_any(path)
    if not isinstance(state, CardState):
        raise StateError(f"{path} is a PSAM state, not a card")
    return state


def load_any(path: str | os.PathLike[str]) -> "CardState | PsamState":
    """A card or PSAM state, by the document's format."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StateError(f"no card state at {path}: create one with `sscard card new {path}`") from None
    except OSError as exc:
        raise StateError(f"cannot read card state {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise StateError(f"card state {path} is not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"card state {path} is not valid JSON (line {exc.lineno}): file is corrupt") from None
    try:
        if isinstance(doc, dict) and doc.get("format") == PSAM_FORMAT:
            return PsamState.from_json(doc)
        return CardState.from_json(doc)
    except StateError as exc:
        raise StateError(f"{path}: {exc}") from None


def save(path: str | os.PathLike[str], state: "CardState | PsamState") -> None:
    """Replace the file in one step, so a crash leaves either the old or the new state."""
    target = Path(path)
    data = json.dumps(state.to_json(), indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class FileStore:
    """Persistence bound to one path: what the card calls after every state change."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> CardState:
        return load(self.path)

    def __call__(self, state: "CardState | PsamState") -> None:
        save(self.path, state)
