"""The shared column mapping and its editor, without the web: a service declares the *target schema*
of a table (its fields, their types, which are required, Norwegian labels, the values a category field
may take and the names they usually go by), and this module

* validates a mapping object (the JSON/YAML a mapping file holds: field → source column, an optional
  ``date_format``, and ``<field>_values`` maps from source values to a category's values),
* finds the columns of a file for each field (:func:`resolve`: the mapping's choice, else the usual
  names), with a Norwegian error for a mapping that names a column the file lacks,
* describes an uploaded table's columns, guesses which field each holds, reads the editor's form back,
  and checks the choices against the data (:func:`check`), with an error next to each choice that
  cannot work: a field chosen twice, text where a number is needed, dates that cannot be read, a
  category value no value is chosen for.

The page part is one Jinja macro, ``web/templates/macros/column_mapping.html``; a service's page passes it
:func:`editor_context`. Services add their own rules on top (eiendomsskatt's area unit and monotone
features, bemanning's privacy rules) and keep the row-by-row reading of values where it is today.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.errors import InvalidInput
from .tabular import check_date_format, guess_date_format, normalise

FEATURE, IGNORE = "", "ignore"  # the two editor choices that are not fields
KINDS = ("text", "number", "date", "category")
MAX_CATEGORY_VALUES = 30  # a column with more distinct values is not a category column
SAMPLE_ROWS = 2000  # rows looked at for the checks against the data
MIN_READABLE = 0.8  # share of non-empty values that must parse as numbers / dates
EXCEL_SERIAL = r"\d{5}(?:\.0+)?"  # an Excel serial date (days since 1899-12-30)


@dataclass(frozen=True)
class Category:
    """One value a category field may take, its Norwegian label and the source values it goes by."""

    value: str
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Field:
    """One field of the target schema.

    ``synonyms`` are normalised column names (:func:`~kommuneki.ingest.tabular.normalise`) that usually
    hold the field, best first. ``plural`` names the values in messages ("salgsdatoene"). A category
    field lists its ``categories``; ``fallback`` is the category a source value nothing matches gets
    (``""``: none, the officer must choose), and ``guess_value`` may guess further (codes, say).
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    synonyms: tuple[str, ...] = ()
    plural: str = ""
    categories: tuple[Category, ...] = ()
    fallback: str = ""
    guess_value: Callable[[str], str] | None = None
    values_key: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "category" and not self.categories:
            raise ValueError(f"field {self.name!r}: a category field needs its categories")

    @property
    def mapping_key(self) -> str:
        """The key of this field's value map in a mapping object."""
        return self.values_key or f"{self.name}_values"

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.categories)

    @property
    def value_labels(self) -> dict[str, str]:
        return {c.value: c.label for c in self.categories}

    def guess(self, value: Any) -> str:
        """A source value → one of the categories (``fallback`` when nothing fits)."""
        key = normalise(value)
        for category in self.categories:
            if key == normalise(category.value) or key == normalise(category.label):
                return category.value
        for category in self.categories:
            if key in category.synonyms:
                return category.value
        if self.guess_value is not None:
            return self.guess_value(str(value))
        return self.fallback


@dataclass(frozen=True)
class Schema:
    """The target schema of one kind of table. ``options`` are further mapping keys the service reads
    itself (validated there); ``excel_dates`` says its date fields also take Excel serial numbers;
    ``examples=False`` keeps the file's values out of error messages (a file with persons in it)."""

    name: str
    fields: tuple[Field, ...]
    options: tuple[str, ...] = ()
    excel_dates: bool = False
    examples: bool = True

    def example(self, value: Any) -> str:
        """`` (for eksempel «value»)`` for a message, or nothing when the schema shows no values."""
        return f" (for eksempel «{value}»)" if self.examples else ""

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name!r}: a field is declared twice")
        if len(self.category_fields) > 1:
            raise ValueError(f"schema {self.name!r}: the editor maps the values of one category field only")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def labels(self) -> dict[str, str]:
        return {f.name: f.label for f in self.fields}

    @property
    def category_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind == "category")

    @property
    def date_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind == "date")

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key a mapping object of this schema may hold."""
        extra = ("date_format",) if self.date_fields else ()
        return self.names + extra + tuple(f.mapping_key for f in self.category_fields) + self.options

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def validate(self, raw: Any) -> dict[str, Any]:
        """A mapping object checked against the schema (the service's ``options`` are passed through
        unchecked). Refuses unknown keys, a field that names no column, values outside a category and
        a date format that is none, in Norwegian."""
        if not isinstance(raw, dict):
            raise InvalidInput("Kolonneoppsettet må være et objekt (feltnavn → kolonnenavn).")
        unknown = [k for k in raw if k not in self.keys]
        if unknown:
            raise InvalidInput(
                f"Ukjente felt i kolonneoppsettet: {', '.join(sorted(map(str, unknown)))}. "
                f"Gyldige felt: {', '.join(self.keys)}."
            )
        for name in self.names:
            if name in raw and (not isinstance(raw[name], str) or not raw[name]):
                raise InvalidInput(f"Feltet {name} må peke på et kolonnenavn (tekst).")
        for category_field in self.category_fields:
            value_map = raw.get(category_field.mapping_key) or {}
            if not isinstance(value_map, dict):
                raise InvalidInput(f"{category_field.mapping_key} må være et objekt (verdi i filen → verdi).")
            bad = sorted({str(v) for v in value_map.values()} - set(category_field.values))
            if bad:
                raise InvalidInput(
                    f"Ukjente verdier for {category_field.label.lower()}: {', '.join(bad)}. "
                    f"Gyldige: {', '.join(category_field.values)}."
                )
        if raw.get("date_format") is not None:
            check_date_format(raw["date_format"])
        return dict(raw)


# --- reading a mapping file ---------------------------------------------------------------------------


def parse_mapping_text(text: str, name: str = "") -> dict[str, Any]:
    """A mapping file's object (JSON, or YAML when it is not JSON); ``{}`` for an empty file."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text) if name.endswith(".json") or text.lstrip().startswith("{") else None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"Kolonneoppsettet er ikke gyldig JSON: {exc.msg} (linje {exc.lineno}).") from exc
    if raw is None:
        import yaml

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"Kolonneoppsettet er ikke gyldig YAML: {exc}") from exc
    return raw if raw is not None else {}


def dump(mapping: dict[str, Any], fmt: str) -> str:
    """The mapping as a file for ``--mapping`` (JSON or YAML)."""
    if fmt == "json":
        return json.dumps(mapping, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)
    raise InvalidInput("Format må være json eller yaml.")


# --- finding the columns of a file ----------------------------------------------------------------------


def resolve(
    schema: Schema, header: list[str], mapping: Mapping[str, Any] | None = None
) -> tuple[dict[str, int], list[str]]:
    """Field → column position in ``header``: the mapping's column (matched without regard to case),
    else the first column whose name is the field's name or one of its synonyms. Returns the positions
    and the required fields not found. A mapping that names a column the file lacks is an error."""
    normalised = [normalise(h) for h in header]
    lowered = {str(h).strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    found: dict[str, int] = {}
    for schema_field in schema.fields:
        wanted = (mapping or {}).get(schema_field.name)
        if wanted is not None:
            position = lowered.get(str(wanted).strip().lower())
            if position is None:
                raise InvalidInput(
                    f"Kolonneoppsettet peker på «{wanted}» for {schema_field.name}, men filen har ingen "
                    f"slik kolonne (kolonner: {', '.join(map(str, header))})."
                )
            found[schema_field.name] = position
            continue
        for name in (schema_field.name, *schema_field.synonyms):
            key = normalise(name)
            if key in normalised:
                found[schema_field.name] = normalised.index(key)
                break
    missing = [name for name in schema.required if name not in found]
    return found, missing


# --- the editor ---------------------------------------------------------------------------------------


def guess_fields(schema: Schema, columns: list[str]) -> dict[str, str]:
    """Column → field (or ``""``): exact field names first, then the synonyms in order; each field is
    given to at most one column."""
    candidates: list[tuple[int, int, str, str]] = []  # (rank, column position, column, field)
    for position, column in enumerate(columns):
        key = normalise(column)
        for schema_field in schema.fields:
            if key == schema_field.name:
                candidates.append((0, position, column, schema_field.name))
            elif key in schema_field.synonyms:
                rank = 1 + schema_field.synonyms.index(key)
                candidates.append((rank, position, column, schema_field.name))
    out = {c: FEATURE for c in columns}
    taken: set[str] = set()
    for _rank, _position, column, name in sorted(candidates):
        if name not in taken and out[column] == FEATURE:
            out[column], taken = name, taken | {name}
    return out


def as_text(values: pd.Series) -> pd.Series:
    """Values as text (``str(v)``), empty ones dropped."""
    return values.map(lambda v: None if pd.isna(v) else str(v)).dropna()


@dataclass
class Column:
    """One source column as the editor shows it. ``samples`` may be empty (a service that must not
    show values, e.g. persons); ``values`` holds (value, count) for a column with few distinct values
    whose values may be shown (to map them to a category); ``present`` is False when a second file the
    mapping also applies to lacks the column."""

    index: int
    name: str
    numeric: bool
    samples: list[str]
    present: bool = True
    values: list[tuple[str, int]] = field(default_factory=list)


def describe(
    frame: pd.DataFrame,
    *,
    samples: bool = True,
    values_of: Callable[[int, str], bool] | None = None,
    other: pd.DataFrame | None = None,
) -> list[Column]:
    """One entry per column: up to three distinct example values (unless ``samples`` is False), whether
    it is numeric, whether ``other`` has it, and its distinct values when there are few and
    ``values_of(index, name)`` allows showing them (every column's by default)."""
    out = []
    for index, name in enumerate(frame.columns):
        text = as_text(frame[name])
        shown = (
            [v if len(v) <= 40 else v[:39] + "…" for v in list(dict.fromkeys(text.head(200)))[:3]]
            if samples
            else []
        )
        values: list[tuple[str, int]] = []
        if values_of is None or values_of(index, str(name)):
            counts = text.value_counts()
            if 0 < len(counts) <= MAX_CATEGORY_VALUES:
                values = sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda x: x[0])
        out.append(
            Column(
                index=index,
                name=str(name),
                numeric=pd.api.types.is_numeric_dtype(frame[name]),
                samples=shown,
                present=other is None or name in other.columns,
                values=values,
            )
        )
    return out


@dataclass
class Choices:
    """What the editor shows and the user changes: a field per column, the date format, and for each
    column with few values the category of each value."""

    fields: dict[int, str]  # column index → field, "" (not a field) or "ignore"
    date_format: str = ""
    value_maps: dict[int, dict[str, str]] = field(default_factory=dict)  # column → source value → category


def _date_column_format(schema: Schema, columns: list[Column], frame: pd.DataFrame, fields: dict) -> str:
    date_names = {f.name for f in schema.date_fields}
    date_col = next((c for c, f in fields.items() if f in date_names), None)
    if date_col is not None:
        return guess_date_format(as_text(frame[date_col]).head(50).tolist())
    # no column named like a date: the format of the first text column that reads as dates
    return next(
        (
            fmt
            for c in columns
            if not c.numeric
            if (fmt := guess_date_format(as_text(frame[c.name]).head(50).tolist()))
        ),
        "",
    )


def guess(schema: Schema, columns: list[Column], frame: pd.DataFrame) -> Choices:
    """The editor's first proposal for a table it has not seen before."""
    fields = guess_fields(schema, [c.name for c in columns])
    by_name = {c.name: c for c in columns}
    category = schema.category_fields[0] if schema.category_fields else None
    return Choices(
        fields={by_name[c].index: f for c, f in fields.items()},
        date_format=_date_column_format(schema, columns, frame, fields) if schema.date_fields else "",
        value_maps=(
            {c.index: {v: category.guess(v) for v, _n in c.values} for c in columns if c.values}
            if category
            else {}
        ),
    )


def from_mapping(
    schema: Schema, columns: list[Column], frame: pd.DataFrame, mapping: dict[str, Any]
) -> Choices:
    """The choices an existing mapping makes for these columns (to edit a mapping file)."""
    base = guess(schema, columns, frame)
    by_source = {src: name for name, src in mapping.items() if name in schema.names}
    ignored = set(mapping.get("ignore") or ())
    fields = {c.index: by_source.get(c.name, IGNORE if c.name in ignored else FEATURE) for c in columns}
    category = schema.category_fields[0] if schema.category_fields else None
    given = (mapping.get(category.mapping_key) or {}) if category else {}
    value_maps = {i: {v: given.get(v, g) for v, g in vals.items()} for i, vals in base.value_maps.items()}
    return Choices(fields=fields, date_format=mapping.get("date_format") or "", value_maps=value_maps)


def from_form(schema: Schema, columns: list[Column], form: Mapping[str, Any]) -> Choices:
    """Read the editor's form: ``felt_<i>``, ``type_<i>_<j>`` and ``date_format``."""
    category = schema.category_fields[0] if schema.category_fields else None
    fallback = category.fallback if category else ""
    return Choices(
        fields={c.index: str(form.get(f"felt_{c.index}", FEATURE)) for c in columns},
        date_format=str(form.get("date_format", "")).strip(),
        value_maps={
            c.index: {v: str(form.get(f"type_{c.index}_{j}", fallback)) for j, (v, _n) in enumerate(c.values)}
            for c in columns
            if c.values
        },
    )


@dataclass
class Outcome:
    mapping: dict[str, Any] | None  # the mapping object, when there is no error
    errors: dict[str, str]  # form field id ("felt_3", "date_format") or "" (the whole form) → message
    missing: list[str]  # required fields no column was chosen for


def chosen(schema: Schema, columns: list[Column], choices: Choices, errors: dict[str, str]) -> dict:
    """Field → the columns chosen for it; an unknown choice is an error on its column."""
    by_field: dict[str, list[Column]] = {}
    for column in columns:
        name = choices.fields.get(column.index, FEATURE)
        if name not in (FEATURE, IGNORE) and name not in schema.names:
            errors[f"felt_{column.index}"] = f"Ukjent valg for kolonnen «{column.name}»."
        elif name not in (FEATURE, IGNORE):
            by_field.setdefault(name, []).append(column)
    return by_field


def check(
    schema: Schema,
    columns: list[Column],
    choices: Choices,
    frame: pd.DataFrame,
    *,
    extra: Callable[[Field, Column, dict[str, str]], None] | None = None,
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Check the choices against the schema and the data. Returns the mapping object they make, the
    errors (form field id → Norwegian message) and the required fields not chosen. ``extra(field,
    column, errors)`` adds a service's own check for each chosen column."""
    errors: dict[str, str] = {}
    by_field = chosen(schema, columns, choices, errors)
    for name, cols in by_field.items():
        if len(cols) > 1:
            names = ", ".join(f"«{c.name}»" for c in cols)
            for c in cols:
                errors[f"felt_{c.index}"] = (
                    f"{schema.label(name)} er valgt for flere kolonner ({names}). "
                    "Velg det for bare én kolonne."
                )
    missing = [name for name in schema.required if name not in by_field]
    sample = frame.head(SAMPLE_ROWS)
    for name, cols in by_field.items():
        if len(cols) != 1:
            continue
        schema_field, column = schema.field(name), cols[0]
        values = sample[column.name].dropna()
        if schema_field.kind == "number" and len(values):
            bad = values[pd.to_numeric(values, errors="coerce").isna()]
            if len(bad) > (1 - MIN_READABLE) * len(values):
                errors.setdefault(
                    f"felt_{column.index}",
                    f"Kolonnen «{column.name}» har ikke tall{schema.example(bad.iloc[0])}, "
                    f"så den kan ikke være {schema_field.label.lower()}.",
                )
        if schema_field.kind == "date" and len(values):
            if not _dates_readable(schema, schema_field, column, values, choices.date_format, errors):
                continue
        if schema_field.kind == "category" and column.index in choices.value_maps:
            unmapped = [v for v, category in choices.value_maps[column.index].items() if not category]
            if unmapped:
                errors.setdefault(
                    f"felt_{column.index}",
                    f"Velg hva verdien «{unmapped[0]}» i kolonnen «{column.name}» betyr.",
                )
        if extra is not None:
            extra(schema_field, column, errors)
    raw: dict[str, Any] = {name: cols[0].name for name in schema.names if (cols := by_field.get(name))}
    if choices.date_format:
        raw["date_format"] = choices.date_format
    for category in schema.category_fields:
        cols = by_field.get(category.name)
        if cols and len(cols) == 1 and cols[0].index in choices.value_maps:
            value_map = choices.value_maps[cols[0].index]  # a value not chosen yet is an error above
            raw[category.mapping_key] = {v: chosen for v, chosen in value_map.items() if chosen}
    return raw, errors, missing


def _dates_readable(
    schema: Schema, schema_field: Field, column: Column, values: pd.Series, fmt: str, errors: dict[str, str]
) -> bool:
    """Whether enough values of a date column read as dates; the error under ``date_format`` if not.
    False when the format itself is no format (the caller skips its further checks of the column)."""
    text = values.astype(str)
    if fmt:
        try:
            check_date_format(fmt)  # "%d.%m.%Q", a trailing "%": not a format at all
        except InvalidInput as exc:
            errors["date_format"] = exc.message
            return False
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    else:
        parsed = pd.to_datetime(text, format="mixed", errors="coerce")
    readable = parsed.notna()
    if schema.excel_dates:
        readable |= text.str.strip().str.fullmatch(EXCEL_SERIAL)
    if readable.mean() < MIN_READABLE:
        example = text[~readable].iloc[0]
        plural = schema_field.plural or f"verdiene for {schema_field.label.lower()}"
        if fmt:
            message = (
                f"Datoformatet «{fmt}» passer ikke til {plural} i kolonnen «{column.name}»"
                f"{schema.example(example)}."
            )
        else:
            message = (
                f"{plural[0].upper() + plural[1:]} i kolonnen «{column.name}» kunne ikke leses"
                f"{schema.example(example)}. Oppgi datoformatet."
            )
        errors.setdefault("date_format", message)
    return True


def build(schema: Schema, columns: list[Column], choices: Choices, frame: pd.DataFrame) -> Outcome:
    """The mapping object for these choices, checked against the schema, or the errors that stop it."""
    raw, errors, missing = check(schema, columns, choices, frame)
    try:
        schema.validate(raw)
    except InvalidInput as exc:
        errors[""] = exc.message
    if errors or missing:
        return Outcome(None, errors, missing)
    return Outcome(raw, {}, [])


def editor_context(
    schema: Schema,
    columns: list[Column],
    choices: Choices,
    outcome: Outcome | None = None,
    **options: Any,
) -> dict[str, Any]:
    """What the ``column_mapping`` macro needs, as one object for the template (``mapping=...``).
    ``options`` are the macro's switches (see the macro file)."""
    outcome = outcome or Outcome(None, {}, [])
    category = schema.category_fields[0] if schema.category_fields else None
    return {
        "columns": columns,
        "choices": choices,
        "errors": outcome.errors,
        "missing": outcome.missing,
        "labels": schema.labels,
        "required": schema.required,
        "colnames": {f"felt_{c.index}": c.name for c in columns},
        "category": category,
        "category_values": category.values if category else (),
        "category_labels": category.value_labels if category else {},
        "has_dates": bool(schema.date_fields),
        **options,
    }
