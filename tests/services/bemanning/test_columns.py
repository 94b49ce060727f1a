"""Bemanning's two uploads through the shared column mapping and editor: an HR export with its own
column names and absence codes, and an aggregated history with Norwegian headers and dates — on the
engine and through the pages (the editor works without JS; the absence file is never stored, so it is
chosen again and no value of it but the absence types is shown)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
import pytest

from kommuneki.services.bemanning.engine import columns, generator
from kommuneki.services.bemanning.engine.errors import InputError
from kommuneki.services.bemanning.engine.history import parse_mapping, read_history
from kommuneki.services.bemanning.engine.records import import_records

from .test_views import PASSWORD, _finish

PERSONS = ("Kari Nordmann", "Ola Hansen", "Per Persen")
# an export the usual names do not fit: other headers, dd.mm.yyyy dates and the system's own codes
EXPORT = (
    "Ident;Arbeidssted;Start;Slutt;Kode\n"
    "Kari Nordmann;Sone nord;03.03.2025;05.03.2025;EGM\n"
    "Kari Nordmann;Sone nord;05.03.2025;07.03.2025;SYK\n"
    "Ola Hansen;Sone nord;04.03.2025;04.03.2025;BARN\n"
    "Ola Hansen;Sone nord;06.03.2025;20.03.2025;FER\n"
    "Per Persen;Sone sør;04.03.2025;04.03.2025;EGM\n"
).encode()
MAPPING = {
    "person": "Ident",
    "unit": "Arbeidssted",
    "from": "Start",
    "to": "Slutt",
    "type": "Kode",
    "date_format": "%d.%m.%Y",
    "type_values": {"BARN": "sykt_barn", "EGM": "egenmeldt", "FER": "planlagt", "SYK": "legemeldt"},
}


def _form(html: str) -> dict[str, str]:
    """The editor's form as the page fills it in: selects, hidden fields and the date format."""
    form = {}
    for sid, body in re.findall(r'<select id="([^"]+)" name="[^"]+"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        form[sid] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        form[name] = value
    form["date_format"] = re.search(r'id="date_format" name="date_format" value="([^"]*)"', html).group(1)
    return form


def _select_for(html: str, label: str) -> str:
    return re.search(rf'<label for="([^"]+)" class="sr-only">{re.escape(label)}</label>', html).group(1)


def test_the_editor_guesses_nothing_it_cannot_and_the_mapping_it_makes_imports_the_export():
    editor = columns.records_editor(EXPORT, "eksport.csv")
    assert editor.mapping is None and editor.outcome.missing == ["person", "unit", "from", "to", "type"]
    assert all(c.samples == [] and c.values == [] for c in editor.columns)  # no value shown, no type column
    form = {"kolonner": editor.signature, "date_format": "%d.%m.%Y"}
    form.update({f"felt_{i}": name for i, name in enumerate(["person", "unit", "from", "to", "type"])})
    editor = columns.records_editor(EXPORT, "eksport.csv", form)
    kode = editor.columns[4]
    assert kode.values == [("BARN", 1), ("EGM", 2), ("FER", 1), ("SYK", 1)] and kode.samples == []
    assert editor.outcome.errors == {"felt_4": "Velg hva verdien «BARN» i kolonnen «Kode» betyr."}
    for j, code in enumerate(["sykt_barn", "egenmeldt", "planlagt", "legemeldt"]):
        form[f"type_4_{j}"] = code
    editor = columns.records_editor(EXPORT, "eksport.csv", form)
    assert editor.outcome.errors == {} and editor.mapping == MAPPING
    counts = import_records(EXPORT, editor.mapping)
    assert counts.units == {"Sone nord": 2, "Sone sør": 1} and counts.planned_rows == 1
    history = read_history(counts.csv)
    assert list(history.absent[0]) == [1, 2, 1, 1, 1]  # 3–7 March: Kari's two spells are one
    assert not any(name in counts.csv.decode() for name in PERSONS)


def test_a_mapping_file_of_the_shared_format_and_its_errors():
    assert parse_mapping(
        b'{"date": "Dag", "unit": "Sted", "absent": "Borte", "date_format": "%d.%m.%Y"}'
    ) == {"date": "Dag", "unit": "Sted", "absent": "Borte", "date_format": "%d.%m.%Y"}
    with pytest.raises(InputError, match="Ukjente felt i kolonneoppsettet: farge"):
        parse_mapping(b"farge: Dag\n")
    with pytest.raises(InputError, match="«Person» for person, men filen har ingen slik kolonne"):
        import_records(EXPORT, {"person": "Person"})
    with pytest.raises(InputError, match="ukjent fraværstype «EGM»"):  # a code the mapping does not name
        import_records(EXPORT, {**MAPPING, "type_values": {"SYK": "legemeldt"}})
    with pytest.raises(InputError, match=r"må være datoer \(formatet %Y-%m-%d\)"):
        import_records(EXPORT, {**MAPPING, "date_format": "%Y-%m-%d"})


def test_an_excel_export_is_read_in_memory_like_its_csv():
    frame = pd.read_csv(io.BytesIO(EXPORT), sep=";", dtype=str)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    from_excel = import_records(buffer.getvalue(), MAPPING, filename="eksport.xlsx")
    assert from_excel.csv == import_records(EXPORT, MAPPING).csv


def test_the_history_editor_reads_norwegian_headers_and_dates():
    data = "Dag;Sted;Borte\n03.03.2025;A;1\n04.03.2025;A;2,5\n".encode()
    editor = columns.history_editor(data, "tall.csv")
    assert editor.outcome.missing == ["unit", "absent"]  # "Dag" is a usual name for the date
    fields = [editor.choices.fields[c.index] for c in editor.columns]
    assert fields == ["date", "", ""] and editor.choices.date_format == "%d.%m.%Y"
    form = {"felt_0": "date", "felt_1": "unit", "felt_2": "absent", "date_format": "%d.%m.%Y"}
    editor = columns.history_editor(data, "tall.csv", form)
    assert editor.mapping == {"date": "Dag", "unit": "Sted", "absent": "Borte", "date_format": "%d.%m.%Y"}
    history = read_history(data, editor.mapping)
    assert history.units == ["A"] and list(history.absent[0]) == [1.0, 2.5]
    form.update(felt_1="absent", felt_2="staff")
    editor = columns.history_editor(data, "tall.csv", form)
    assert editor.outcome.errors["felt_1"].startswith("Kolonnen «Sted» har ikke tall (for eksempel «A»)")


@pytest.fixture
def leader(platform):
    from tests.conftest import login_client

    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant
    from kommuneki.web.app import create_app

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as session:
        uid = accounts.create_user(session, username="leder", password=PASSWORD, actor="t", via="t").id
    with platform.db.tenant_session(tid) as session:
        accounts.grant_role(session, tid, session.get(User, uid), "leder", actor="test")
    with login_client(create_app(platform=platform), "leder", PASSWORD) as client:
        yield client, tid


def test_the_absence_export_through_the_editor_page_and_nothing_of_it_kept(leader, platform):
    client, tid = leader
    token = client.headers["X-CSRF-Token"]
    page = client.post(
        "/bemanning/fravaer", data={"csrf_token": token}, files={"fravaer": ("eksport.csv", EXPORT)}
    )
    assert page.status_code == 422 and page.headers["cache-control"] == "no-store"
    assert "Kolonneoppsett for eksport.csv" in page.text and 'role="alert"' in page.text
    assert "Velg hvilken kolonne som er person (ansattnummer eller navn)" in page.text
    assert not any(name in page.text for name in PERSONS)
    form = _form(page.text)
    for name, field in (("Ident", "person"), ("Arbeidssted", "unit"), ("Start", "from"), ("Slutt", "to")):
        form[_select_for(page.text, f"Hva kolonnen «{name}» inneholder")] = field
    form[_select_for(page.text, "Hva kolonnen «Kode» inneholder")] = "type"
    form["date_format"] = "%d.%m.%Y"
    page = client.post("/bemanning/fravaer", data=form, files={"fravaer": ("eksport.csv", EXPORT)})
    assert page.status_code == 422 and "Fraværstype for «EGM»" in page.text
    assert not any(name in page.text for name in PERSONS)
    form = _form(page.text)
    assert form[_select_for(page.text, "Fraværstype for «FER»")] == ""  # no code is guessed: she chooses
    for code, ours in (
        ("BARN", "sykt_barn"),
        ("EGM", "egenmeldt"),
        ("FER", "planlagt"),
        ("SYK", "legemeldt"),
    ):
        form[_select_for(page.text, f"Fraværstype for «{code}»")] = ours
    started = client.post(
        "/bemanning/fravaer", data=form, files={"fravaer": ("eksport.csv", EXPORT)}, follow_redirects=False
    )
    assert started.status_code == 303, started.text
    assert _finish(client, started)["state"] == "done"
    with platform.db.read_session(tid) as session:
        from sqlalchemy import select

        from kommuneki.core.models import Item

        counted = session.scalars(select(Item).where(Item.source == "absence_records")).one()
        assert (
            counted.meta["counted_rows"],
            counted.meta["planned_rows"],
            counted.meta["merged_spells"],
        ) == (
            4,
            1,
            1,
        )
        assert platform.blobs.get(tid, counted.sha256).decode().splitlines()[:3] == [
            "date,unit,absent",
            "2025-03-03,Sone nord,1",
            "2025-03-03,Sone sør,0",
        ]
    stored = [p.read_bytes() for p in platform.settings.data_dir.rglob("*") if p.is_file()]
    assert EXPORT not in stored
    assert not any(name.encode() in blob for blob in stored for name in PERSONS)


def test_the_history_upload_set_up_column_by_column(leader, platform):
    client, _tid = leader
    token = client.headers["X-CSRF-Token"]
    units = generator.generate(1, dt.date(2025, 1, 6), dt.date(2025, 9, 30), seed=3, staff=[20])
    rows = generator.to_csv(units).splitlines()[1:]
    export = "Dag;Avd;Syke\n" + "\n".join(
        f"{d[8:10]}.{d[5:7]}.{d[:4]};{u};{a}" for d, u, a, *_ in (r.split(",") for r in rows)
    )
    r = client.post(
        "/bemanning/prognose",
        data={"csrf_token": token, "handling": "oppsett"},
        files={"historikk": ("eksport.csv", export.encode())},
        follow_redirects=False,
    )
    assert r.status_code == 303 and re.fullmatch(r"/bemanning/oppsett/\d+", r.headers["location"])
    url = r.headers["location"]
    page = client.get(url)
    assert page.status_code == 200 and "Kolonneoppsett for eksport.csv" in page.text
    form = _form(page.text)
    assert form["date_format"] == "%d.%m.%Y" and form["felt_0"] == "date" and form["felt_2"] == "absent"
    bad = client.post(url, data=form)
    assert bad.status_code == 422 and "Velg hvilken kolonne som er enhet" in bad.text
    form["felt_1"] = "unit"
    started = client.post(url, data=form, follow_redirects=False)
    assert started.status_code == 303
    assert _finish(client, started)["state"] == "done"
    assert "Enhet 0001" in client.get("/bemanning").text
    again = client.get(url)  # the saved mapping is shown the next time
    assert _form(again.text)["felt_1"] == "unit"


def test_the_api_forecast_reads_an_export_with_a_mapping_file(leader):
    client, _tid = leader
    units = generator.generate(1, dt.date(2025, 1, 6), dt.date(2025, 6, 30), seed=2, staff=[20])
    rows = generator.to_csv(units).splitlines()[1:]
    export = "Dag;Avd;Syke\n" + "\n".join(
        f"{d[8:10]}.{d[5:7]}.{d[:4]};{u};{a}" for d, u, a, *_ in (r.split(",") for r in rows)
    )
    files = {"history": ("h.csv", export.encode())}
    bad = client.post("/api/v1/bemanning/forecast?horizon=7", files=files)
    assert bad.status_code == 422 and "mangler kolonnene unit" in bad.text
    mapping = b'{"date": "Dag", "unit": "Avd", "absent": "Syke", "date_format": "%d.%m.%Y"}'
    r = client.post("/api/v1/bemanning/forecast?horizon=7", files={**files, "mapping": ("m.json", mapping)})
    assert r.status_code == 200, r.text
    assert [row["date"] for row in r.json()["rows"]][:2] == ["2025-07-01", "2025-07-02"]
    wrong = client.post(
        "/api/v1/bemanning/forecast", files={**files, "mapping": ("m.json", b'{"farge": "Dag"}')}
    )
    assert wrong.status_code == 422 and "Ukjente felt i kolonneoppsettet: farge" in wrong.text
