"""Bemanning's column editor, without the web: the shared editor (:mod:`kommuneki.ingest.tabular_mapping`)
on the two schemas of ``engine/schemas.py``.

For the absence records it keeps the privacy rules of ADR 0009: the editor shows no example values
(a column may hold persons) and lists the distinct values of the absence type column only, so that each
can be mapped to our types; the file itself is read in memory and never stored, so the editor's form
carries the file's column names (``kolonner``) to tell whether the file sent again is the same layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ....ingest import tabular_mapping as tm
from ....ingest.tabular import read_table
from .schemas import HISTORY, RECORDS, TYPE_FIELD

SEPARATOR = "\x1f"  # between column names in the form's ``kolonner`` field


@dataclass
class Editor:
    """One table in the editor: its columns, the choices shown and what checking them gave."""

    schema: tm.Schema
    columns: list[tm.Column]
    choices: tm.Choices
    outcome: tm.Outcome
    rows: int
    signature: str

    @property
    def mapping(self) -> dict[str, Any] | None:
        return self.outcome.mapping

    def context(self, **options: Any) -> dict[str, Any]:
        return tm.editor_context(self.schema, self.columns, self.choices, self.outcome, **options)


def signature(frame: pd.DataFrame) -> str:
    return SEPARATOR.join(map(str, frame.columns))


def history_editor(
    data: bytes, filename: str, form: Mapping[str, Any] | None = None, mapping: dict | None = None
) -> Editor:
    """The aggregated history as CSV (an Excel upload converted; stored already, so example values may
    be shown: counts per unit). ``filename`` is the name it was sent with."""
    frame = read_table(data, f"{filename}.csv")
    columns = tm.describe(frame)
    if form is not None:
        choices = tm.from_form(HISTORY, columns, form)
    elif mapping:
        choices = tm.from_mapping(HISTORY, columns, frame, mapping)
    else:
        choices = tm.guess(HISTORY, columns, frame)
    outcome = tm.build(HISTORY, columns, choices, frame)
    return Editor(HISTORY, columns, choices, outcome, len(frame), signature(frame))


def records_editor(data: bytes, filename: str, form: Mapping[str, Any] | None = None) -> Editor:
    """The absence records, in memory: the choices from the form when it was made for a file with these
    columns, else guessed from the column names; no example values, and the values of the type column
    only."""
    frame = read_table(data, filename, as_text=True)
    names = [str(c) for c in frame.columns]
    same_layout = form is not None and str(form.get("kolonner", "")) == signature(frame)
    if same_layout:
        fields = {i: str(form.get(f"felt_{i}", tm.FEATURE)) for i in range(len(names))}
    else:
        guessed = tm.guess_fields(RECORDS, names)
        fields = {i: guessed[name] for i, name in enumerate(names)}
    type_columns = {i for i, name in fields.items() if name == TYPE_FIELD.name}
    columns = tm.describe(frame, samples=False, values_of=lambda index, _name: index in type_columns)
    if same_layout:
        choices = tm.from_form(RECORDS, columns, form)
        for column in columns:  # a column chosen as the type just now: its values guessed, not blank
            for j, (value, _n) in enumerate(column.values):
                if f"type_{column.index}_{j}" not in form:
                    choices.value_maps[column.index][value] = TYPE_FIELD.guess(value)
    else:
        choices = tm.guess(RECORDS, columns, frame)
    outcome = tm.build(RECORDS, columns, choices, frame)
    return Editor(RECORDS, columns, choices, outcome, len(frame), signature(frame))
