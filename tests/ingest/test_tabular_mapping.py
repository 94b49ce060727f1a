"""The shared column mapping and editor (ingest/tabular_mapping.py) on a schema of its own — a small
visits table with every kind of field — and the shared table reader (ingest/tabular.py)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from kommuneki.core.errors import InvalidInput
from kommuneki.ingest import tabular
from kommuneki.ingest import tabular_mapping as tm

SCHEMA = tm.Schema(
    name="test.visits",
    fields=(
        tm.Field(
            "day", "Dato", kind="date", required=True, synonyms=("dato", "besoksdato"), plural="datoene"
        ),
        tm.Field("place", "Sted", required=True, synonyms=("sted", "enhet")),
        tm.Field("count", "Antall", kind="number", required=True, synonyms=("antall", "besok")),
        tm.Field(
            "kind",
            "Type besøk",
            kind="category",
            synonyms=("type", "besokstype"),
            categories=(
                tm.Category("planned", "Planlagt", ("avtalt", "time")),
                tm.Category("drop_in", "Drop-in", ("uanmeldt",)),
            ),
        ),
    ),
)
CSV = (
    "Besøksdato;Enhet;Besøk;Type;Merknad\n"
    "03.03.2025;Sentrum;12;Avtalt;\n"
    "04.03.2025;Sentrum;7,5;Uanmeldt;ok\n"
    "05.03.2025;Nord;3;Telefon;\n"
).encode()


def _editor(data: bytes = CSV):
    frame = tabular.read_table(data, "besok.csv")
    columns = tm.describe(frame)
    return frame, columns


def test_the_reader_takes_semicolons_decimal_commas_a_bom_and_excel():
    frame = tabular.read_table(b"\xef\xbb\xbf" + CSV, "besok.csv")
    assert list(frame.columns) == ["Besøksdato", "Enhet", "Besøk", "Type", "Merknad"]
    assert frame["Besøk"].tolist() == [12.0, 7.5, 3.0]
    buffer = io.BytesIO()
    pd.DataFrame({"Dato": pd.to_datetime(["2025-03-04"]), "Enhet": ["A"]}).to_excel(buffer, index=False)
    excel = tabular.excel_as_csv(buffer.getvalue(), "eksport.xlsx")
    assert excel.decode().splitlines() == ["Dato,Enhet", "2025-03-04,A"]
    with pytest.raises(InvalidInput, match="ikke en gyldig Excel-fil"):
        tabular.read_table(b"not a zip", "x.xlsx")
    with pytest.raises(InvalidInput, match="ikke UTF-8"):
        tabular.read_table("a;b\næ;1\n".encode("latin-1"), "x.csv")


def test_resolve_finds_the_usual_names_and_the_mapping_wins():
    header = ["Besøksdato", "Enhet", "Besøk", "Antall"]
    found, missing = tm.resolve(SCHEMA, header)
    assert found == {"day": 0, "place": 1, "count": 3} and missing == []  # "Antall" before "Besøk"
    found, _ = tm.resolve(SCHEMA, header, {"count": "besøk"})
    assert found["count"] == 2
    found, missing = tm.resolve(SCHEMA, ["Enhet"])
    assert missing == ["day", "count"]
    with pytest.raises(InvalidInput, match="«Tall» for count, men filen har ingen slik kolonne"):
        tm.resolve(SCHEMA, header, {"count": "Tall"})


def test_validate_refuses_unknown_keys_values_outside_a_category_and_bad_date_formats():
    assert SCHEMA.keys == ("day", "place", "count", "kind", "date_format", "kind_values")
    ok = {"day": "Dato", "kind_values": {"Avtalt": "planned"}, "date_format": "%d.%m.%Y"}
    assert SCHEMA.validate(ok) == ok
    with pytest.raises(InvalidInput, match="Ukjente felt i kolonneoppsettet: colour"):
        SCHEMA.validate({"colour": "x"})
    with pytest.raises(InvalidInput, match="Ukjente verdier for type besøk: phone"):
        SCHEMA.validate({"kind_values": {"Telefon": "phone"}})
    with pytest.raises(InvalidInput, match="Datoformatet «%d.%m.%Q» er ugyldig"):
        SCHEMA.validate({"date_format": "%d.%m.%Q"})
    with pytest.raises(InvalidInput, match="må peke på et kolonnenavn"):
        SCHEMA.validate({"day": 3})
    with pytest.raises(InvalidInput, match="må være et objekt"):
        SCHEMA.validate(["day"])
    assert tm.parse_mapping_text("day: Dato\nkind_values:\n  Avtalt: planned\n") == {
        "day": "Dato",
        "kind_values": {"Avtalt": "planned"},
    }
    with pytest.raises(InvalidInput, match="ikke gyldig JSON"):
        tm.parse_mapping_text('{"day": ', "m.json")


def test_guess_describes_and_proposes_fields_values_and_the_date_format():
    frame, columns = _editor()
    by_name = {c.name: c for c in columns}
    assert by_name["Besøk"].numeric and not by_name["Enhet"].numeric
    assert by_name["Type"].values == [("Avtalt", 1), ("Telefon", 1), ("Uanmeldt", 1)]
    choices = tm.guess(SCHEMA, columns, frame)
    assert [choices.fields[c.index] for c in columns] == ["day", "place", "count", "kind", ""]
    assert choices.date_format == "%d.%m.%Y"
    type_index = by_name["Type"].index
    # no category fits "Telefon" and the field has no fallback: the user must choose
    assert choices.value_maps[type_index] == {"Avtalt": "planned", "Telefon": "", "Uanmeldt": "drop_in"}
    outcome = tm.build(SCHEMA, columns, choices, frame)
    assert outcome.mapping is None
    assert outcome.errors == {f"felt_{type_index}": "Velg hva verdien «Telefon» i kolonnen «Type» betyr."}
    choices.value_maps[type_index]["Telefon"] = "planned"
    outcome = tm.build(SCHEMA, columns, choices, frame)
    assert outcome.errors == {} and outcome.mapping == {
        "day": "Besøksdato",
        "place": "Enhet",
        "count": "Besøk",
        "kind": "Type",
        "date_format": "%d.%m.%Y",
        "kind_values": {"Avtalt": "planned", "Telefon": "planned", "Uanmeldt": "drop_in"},
    }
    # the mapping made here reads the same file back through resolve
    found, missing = tm.resolve(SCHEMA, list(frame.columns), outcome.mapping)
    assert found == {"day": 0, "place": 1, "count": 2, "kind": 3} and missing == []


def test_the_errors_are_norwegian_and_on_the_field_they_concern():
    frame, columns = _editor()
    form = {"felt_0": "day", "felt_1": "count", "felt_2": "count", "felt_3": "", "date_format": "%Y-%m-%d"}
    outcome = tm.build(SCHEMA, columns, tm.from_form(SCHEMA, columns, form), frame)
    assert outcome.missing == ["place"]
    assert outcome.errors["felt_1"].startswith("Antall er valgt for flere kolonner («Enhet», «Besøk»)")
    assert outcome.errors["date_format"] == (
        "Datoformatet «%Y-%m-%d» passer ikke til datoene i kolonnen «Besøksdato» (for eksempel «03.03.2025»)."
    )
    form = {"felt_0": "place", "felt_1": "count", "felt_4": "day", "felt_9": "x"}
    outcome = tm.build(SCHEMA, columns, tm.from_form(SCHEMA, columns, form), frame)
    assert (
        outcome.errors["felt_1"]
        == "Kolonnen «Enhet» har ikke tall (for eksempel «Sentrum»), så den kan ikke være antall."
    )
    assert outcome.errors["date_format"].startswith("Datoene i kolonnen «Merknad» kunne ikke leses")
    assert tm.build(SCHEMA, columns, tm.Choices({0: "weather"}), frame).errors["felt_0"] == (
        "Ukjent valg for kolonnen «Besøksdato»."
    )


def test_a_schema_without_examples_keeps_the_files_values_out_of_its_messages():
    private = tm.Schema("test.private", SCHEMA.fields, examples=False)
    frame, columns = _editor()
    outcome = tm.build(private, columns, tm.Choices({0: "place", 1: "day", 2: "count"}), frame)
    assert outcome.errors["date_format"] == "Datoene i kolonnen «Enhet» kunne ikke leses. Oppgi datoformatet."
    hidden = tm.describe(frame, samples=False, values_of=lambda index, _name: index == 3)
    assert all(c.samples == [] for c in hidden)
    assert [c.name for c in hidden if c.values] == ["Type"]


def test_from_mapping_and_back_round_trips_and_dump_writes_json_and_yaml():
    frame, columns = _editor()
    mapping = {
        "day": "Besøksdato",
        "place": "Enhet",
        "count": "Besøk",
        "kind": "Type",
        "date_format": "%d.%m.%Y",
        "kind_values": {"Avtalt": "planned", "Telefon": "drop_in", "Uanmeldt": "drop_in"},
    }
    choices = tm.from_mapping(SCHEMA, columns, frame, mapping)
    assert tm.build(SCHEMA, columns, choices, frame).mapping == mapping
    for fmt in ("json", "yaml"):
        assert tm.parse_mapping_text(tm.dump(mapping, fmt), f"m.{fmt}") == mapping
    with pytest.raises(InvalidInput, match="json eller yaml"):
        tm.dump(mapping, "xml")


def test_a_schema_is_checked_when_declared():
    with pytest.raises(ValueError, match="needs its categories"):
        tm.Field("kind", "Type", kind="category")
    with pytest.raises(ValueError, match="unknown kind"):
        tm.Field("kind", "Type", kind="colour")
    with pytest.raises(ValueError, match="declared twice"):
        tm.Schema("twice", (tm.Field("a", "A"), tm.Field("a", "A")))
    assert tm.Field("kind", "Type", kind="category", categories=(tm.Category("x", "X"),)).guess("X") == "x"


def test_excel_serial_dates_count_as_dates_where_the_schema_says_so():
    data = b"Dato,Enhet,Antall\n45720,A,1\n45721,A,2\n"
    frame = tabular.read_table(data, "x.csv")
    columns = tm.describe(frame)
    choices = tm.Choices({0: "day", 1: "place", 2: "count"})
    excel = tm.Schema("test.excel", SCHEMA.fields, excel_dates=True)
    assert "date_format" in tm.build(SCHEMA, columns, choices, frame).errors
    assert tm.build(excel, columns, choices, frame).errors == {}
