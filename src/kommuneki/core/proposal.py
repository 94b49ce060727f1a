"""What a service engine hands to the core: a proposal as plain data (no database, no web).

Engines build :class:`Proposal` objects; ``core.suggestions.suggest`` records them as suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Proposal:
    """What a service engine hands over; plain data."""

    kind: str
    value: dict[str, Any]
    confidence: float
    explanation: dict[str, Any]
    model_name: str
    model_version: str
    input_hash: str
    cpu_ms: float = 0.0
