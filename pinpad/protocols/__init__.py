"""Serial PIN-pad command families, one module each; `PROTOCOLS` names them for `protocol=`."""

from __future__ import annotations

from .esc import EscProtocol, EscNibbleProtocol

PROTOCOLS = {p.name: p for p in (EscProtocol, EscNibbleProtocol)}
