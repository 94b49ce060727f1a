"""Input errors of the bemanning engine, with a Norwegian message (the service maps them to the core's)."""

from __future__ import annotations

from ....core.errors import InvalidInput


class InputError(InvalidInput):
    """The file, mapping or calendar cannot be read; the message says where and why, in Norwegian."""
