"""The append-only audit trail of outlet PIN business (reset, unblock).

JSON lines, one fsync per record, file mode 0600. A record holds who did what to which card
(masked: last 4 characters only) and how it ended, never a PIN or PIN block.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from .errors import AuditError

AUDIT_ENV = "SSCARD_AUDIT_LOG"


def default_path() -> Path:
    if os.environ.get(AUDIT_ENV):
        return Path(os.environ[AUDIT_ENV])
    state_home = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state_home / "sscard" / "audit.jsonl"


class AuditLog:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write one record durably; any failure raises `AuditError`."""
        record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **record}
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise AuditError(f"cannot write the audit trail {self.path}: {exc.strerror or exc}") from None
        return record

    def records(self, since: dt.date | None = None) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AuditError(f"cannot read the audit trail {self.path}: {exc.strerror or exc}") from None
        out = []
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise AuditError(f"{self.path}: line {number} is not a JSON record (the trail is damaged)") from None
            if since is None or str(record.get("time", ""))[:10] >= since.isoformat():
                out.append(record)
        return out
