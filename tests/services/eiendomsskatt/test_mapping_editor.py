"""The column-by-column mapping editor: guessing from column names and values, the checks against the
data with an error per field, the mapping files it writes, and the pages (upload → editor → valuation)."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from kommuneki.services.eiendomsskatt.engine import demo
from kommuneki.services.eiendomsskatt.engine import mapping_editor as ed
from kommuneki.services.eiendomsskatt.engine.mapping import Mapping, parse_mapping

from .jobhelp import finish_job

# The demo export with the column names and building type values a real export might have: some are
# guessed (Pris, BRA, Byggeår, Boligtype, Villa, Blokkleilighet), the sale date ("Overtakelse") is not.
RENAME = {
    "salgsdato": "Overtakelse",
    "pris": "Pris",
    "bra": "BRA",
    "byggeaar": "Byggeår",
    "bygningstype": "Boligtype",
    "grunnkrets": "Grunnkrets",
    "breddegrad": "lat",
    "lengdegrad": "lon",
}
TYPES = {"Enebolig": "Villa", "Leilighet": "Blokkleilighet"}


def export(n_dwellings: int = 200, n_sales: int = 400, seed: int = 8) -> tuple[bytes, bytes]:
    """(sales CSV, dwellings CSV) as bytes, in the renamed layout above."""
    sales, dwellings = demo.generate(n_dwellings=n_dwellings, n_sales=n_sales, seed=seed)
    out = []
    for t in (sales, dwellings):
        t = t.rename(columns=RENAME)
        t["Boligtype"] = t["Boligtype"].replace(TYPES)
        out.append(demo.to_csv_bytes(t))
    return out[0], out[1]


# --- guessing ---------------------------------------------------------------------------------------


def test_guess_fields_from_norwegian_and_english_names():
    g = ed.guess_fields(
        [
            "Salgsdato",
            "Pris",
            "BRA",
            "Byggeår",
            "Postnummer",
            "Breddegrad",
            "Lengdegrad",
            "Type",
            "Tomt",
            "standard",
            "Matrikkelenhet",
        ]
    )
    assert g == {
        "Salgsdato": "sale_date",
        "Pris": "price",
        "BRA": "living_area",
        "Byggeår": "year_built",
        "Postnummer": "area_code",
        "Breddegrad": "lat",
        "Lengdegrad": "lon",
        "Type": "building_type",
        "Tomt": "lot_area",
        "standard": "",
        "Matrikkelenhet": "unit_id",
    }
    kc = ed.guess_fields(
        [
            "id",
            "date",
            "price",
            "bedrooms",
            "sqft_living",
            "sqft_lot",
            "grade",
            "yr_built",
            "zipcode",
            "lat",
            "long",
            "sqft_living15",
            "year",
        ]
    )
    assert kc == {
        "id": "unit_id",
        "date": "sale_date",
        "price": "price",
        "bedrooms": "",
        "sqft_living": "living_area",
        "sqft_lot": "lot_area",
        "grade": "",
        "yr_built": "year_built",
        "zipcode": "area_code",
        "lat": "lat",
        "long": "lon",
        "sqft_living15": "",
        "year": "",
    }


def test_each_field_is_guessed_for_one_column_only_and_the_canonical_name_wins():
    assert ed.guess_fields(["pris", "price"]) == {"pris": "", "price": "price"}
    assert ed.guess_fields(["dato", "salgsdato"]) == {"dato": "", "salgsdato": "sale_date"}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Enebolig", "enebolig"),
        ("Villa", "enebolig"),
        ("house", "enebolig"),
        ("Tomannsbolig", "tomannsbolig"),
        ("Kjedehus", "rekkehus"),
        ("Townhouse", "rekkehus"),
        ("Blokkleilighet", "leilighet"),
        ("condo", "leilighet"),
        ("Hytte", "fritidsbolig"),
        ("111", "enebolig"),
        ("121.0", "tomannsbolig"),
        ("142", "leilighet"),
        ("Garasje", "annet"),
    ],
)
def test_guess_building_type(value, expected):
    assert ed.guess_type(value) == expected


def test_guess_date_format_and_area_unit():
    assert ed.guess_date_format(["2024-03-01", "2023-12-31"]) == "%Y-%m-%d"
    assert ed.guess_date_format(["01.03.2024", "31.12.2023"]) == "%d.%m.%Y"
    assert ed.guess_date_format(["20141013T000000"]) == "%Y%m%dT%H%M%S"
    assert ed.guess_date_format(["i fjor"]) == ""
    t = pd.DataFrame({"date": ["20141013T000000"], "price": [1.0], "sqft_living": [1000]})
    c = ed.guess(ed.describe(t), t)
    assert c.date_format == "%Y%m%dT%H%M%S" and c.area_unit == "sqft"


def test_describe_shows_samples_building_type_values_and_what_the_dwellings_file_lacks():
    sales, dwellings = (pd.read_csv(io.BytesIO(b)) for b in export(60, 120))
    cols = {c.name: c for c in ed.describe(sales, dwellings)}
    assert cols["Overtakelse"].in_dwellings is False and cols["BRA"].in_dwellings is True
    assert len(cols["Pris"].samples) == 3 and cols["Pris"].numeric
    assert [v for v, _n in cols["Boligtype"].type_values] == [
        "Blokkleilighet",
        "Rekkehus",
        "Tomannsbolig",
        "Villa",
    ]
    assert sum(n for _v, n in cols["Boligtype"].type_values) == len(sales)


# --- building the mapping, errors per field -------------------------------------------------------


@pytest.fixture(scope="module")
def tables():
    s, d = export(60, 120)
    return pd.read_csv(io.BytesIO(s)), pd.read_csv(io.BytesIO(d))


def _choices(sales, dwellings, **fields):
    cols = ed.describe(sales, dwellings)
    c = ed.guess(cols, sales)
    idx = {col.name: col.index for col in cols}
    for name, f in fields.items():
        c.fields[idx[name]] = f
    return cols, c, idx


def test_the_guess_leaves_the_sale_date_to_the_officer(tables):
    sales, dwellings = tables
    cols, c, idx = _choices(sales, dwellings)
    out = ed.build(cols, c, sales, dwellings)
    assert out.mapping is None and out.missing == ["sale_date"]
    cols, c, idx = _choices(sales, dwellings, Overtakelse="sale_date")
    c.date_format = "%Y-%m-%d"
    out = ed.build(cols, c, sales, dwellings)
    assert out.errors == {} and out.missing == []
    assert (
        out.mapping["sale_date"] == "Overtakelse"
        and out.mapping["building_type_values"]["Villa"] == "enebolig"
    )
    # what the editor writes is what the engine reads
    assert Mapping.from_dict(out.mapping).to_dict() == out.mapping


def test_a_field_chosen_twice_is_an_error_on_both_columns(tables):
    sales, dwellings = tables
    cols, c, idx = _choices(sales, dwellings, Overtakelse="sale_date", standard="price")
    out = ed.build(cols, c, sales, dwellings)
    assert out.mapping is None
    assert set(out.errors) == {f"felt_{idx['Pris']}", f"felt_{idx['standard']}"}
    assert "Salgspris er valgt for flere kolonner («Pris», «standard»)" in out.errors[f"felt_{idx['Pris']}"]


def test_text_where_a_number_is_needed_and_unreadable_dates_are_errors(tables):
    sales, dwellings = tables
    cols, c, idx = _choices(sales, dwellings, Overtakelse="sale_date", Pris="", matrikkelenhet="price")
    c.date_format = "%d.%m.%Y"
    out = ed.build(cols, c, sales, dwellings)
    assert "har ikke tall" in out.errors[f"felt_{idx['matrikkelenhet']}"]
    assert out.errors["date_format"].startswith("Datoformatet «%d.%m.%Y» passer ikke")


@pytest.mark.parametrize("fmt", ["%d.%m.%Q", "%Y-%m-%"], ids=["unknown directive", "trailing percent"])
def test_a_date_format_that_is_no_format_is_an_error_not_a_crash(tables, fmt):
    sales, dwellings = tables
    cols, c, idx = _choices(sales, dwellings, Overtakelse="sale_date")
    c.date_format = fmt
    out = ed.build(cols, c, sales, dwellings)
    assert out.mapping is None and out.errors["date_format"].startswith(f"Datoformatet «{fmt}» er ugyldig")
    with pytest.raises(Exception, match="er ugyldig"):  # the same from a mapping file (CLI, upload form)
        Mapping.from_dict({"date_format": fmt})


def test_a_numeric_header_from_excel_is_a_column_like_any_other():
    from kommuneki.services.eiendomsskatt.engine.mapping import read_table

    buf = io.BytesIO()
    pd.DataFrame({"pris": [3_000_000, 4_000_000], 2023: [1, 2]}).to_excel(buf, index=False)
    frame = read_table(buf.getvalue(), "salg.xlsx")
    assert list(frame.columns) == ["pris", "2023"]
    cols = ed.describe(frame, None)
    assert [c.name for c in cols] == ["pris", "2023"]
    ed.guess(cols, frame)  # no KeyError on the number-named column


def test_a_required_column_the_dwellings_file_lacks_is_an_error(tables):
    sales, dwellings = tables
    cols, c, idx = _choices(sales, dwellings.drop(columns=["BRA"]), Overtakelse="sale_date")
    out = ed.build(cols, c, sales, dwellings.drop(columns=["BRA"]))
    assert out.errors == {
        f"felt_{idx['BRA']}": "Boligfilen har ikke kolonnen «BRA», som trengs for bruksareal (bra)."
    }


def test_the_engines_own_rules_still_apply(tables):
    sales, dwellings = tables
    cols, c, idx = _choices(sales, dwellings, Overtakelse="sale_date")
    c.area_unit = "fot"
    out = ed.build(cols, c, sales, dwellings)
    assert out.errors == {"": "area_unit må være m2 eller sqft."}
    c.area_unit = "m2"
    c.type_values[idx["Boligtype"]]["Villa"] = "slott"
    assert "Ukjente bygningstyper: slott" in ed.build(cols, c, sales, dwellings).errors[""]


def test_ignored_and_monotone_columns_and_a_round_trip_through_a_mapping_file(tables):
    sales, dwellings = tables
    cols, c, idx = _choices(sales, dwellings, Overtakelse="sale_date", Grunnkrets="ignore")
    c.monotone = {idx["standard"], idx["Pris"]}  # only a feature column can be monotone
    out = ed.build(cols, c, sales, dwellings)
    assert out.mapping["ignore"] == ["Grunnkrets"] and out.mapping["monotone_increasing"] == ["standard"]
    assert "area_code" not in out.mapping
    for fmt in ("json", "yaml"):
        text = ed.dump(out.mapping, fmt)
        assert parse_mapping(text, f"kolonneoppsett.{fmt}").to_dict() == out.mapping
        again = ed.from_mapping(cols, sales, parse_mapping(text, f"x.{fmt}"))
        assert ed.build(cols, again, sales, dwellings).mapping == out.mapping


def test_the_demo_mapping_round_trips_through_the_editor():
    sales, dwellings = demo.generate(n_dwellings=50, n_sales=80, seed=2)
    cols = ed.describe(sales, dwellings)
    m = Mapping.from_dict(demo.DEMO_MAPPING)
    assert ed.build(cols, ed.from_mapping(cols, sales, m), sales, dwellings).mapping == m.to_dict()


# --- the pages --------------------------------------------------------------------------------------


def _selected(html: str) -> dict[str, str]:
    """select id → the value of its selected option, read from the page."""
    out = {}
    for sid, body in re.findall(r'<select id="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        m = re.search(r'<option value="([^"]*)" selected>', body)
        out[sid] = m.group(1) if m else ""
    return out


def _form(html: str) -> dict[str, str]:
    """The editor's form as the page fills it in (selects, date format, area unit, ticked boxes)."""
    form = dict(_selected(html))
    form["date_format"] = re.search(r'id="date_format" name="date_format" value="([^"]*)"', html).group(1)
    form["area_unit"] = re.search(r'name="area_unit" value="(\w+)" checked', html).group(1)
    for name in re.findall(r'name="(stigende_\d+)" value="1" checked', html):
        form[name] = "1"
    return form


def _column(html: str, name: str) -> str:
    """The form field id of the sales column ``name``."""
    return re.search(
        rf'<label for="(felt_\d+)" class="sr-only">Hva kolonnen «{re.escape(name)}»', html
    ).group(1)


def test_upload_editor_errors_download_and_valuation(client_factory):
    takst = client_factory("takst")
    sales, dwellings = export()
    files = {"salg": ("salg.csv", sales), "boliger": ("boliger.csv", dwellings)}
    r = takst.post("/eiendomsskatt/oppsett", files=files, follow_redirects=False)
    assert r.status_code == 303 and re.fullmatch(r"/eiendomsskatt/oppsett/\d+", r.headers["location"])
    url = r.headers["location"]
    page = takst.get(url)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert "Kolonneoppsett for salg.csv" in html and "405 rader, 11 kolonner" in html
    # CSP: no inline style or script; the one script is a static file and only progressive enhancement
    assert 'style="' not in html and re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/eiendomsskatt.js">'
    ]
    assert takst.get("/static/eiendomsskatt.js").status_code == 200
    form = _form(html)
    date_col, price_col = _column(html, "Overtakelse"), _column(html, "Pris")
    assert form[date_col] == "" and form[price_col] == "price" and form[_column(html, "BRA")] == "living_area"
    assert form["area_unit"] == "m2" and form["date_format"] == "%Y-%m-%d"  # read from the values
    assert "Bygningstyper i kolonnen «Boligtype»" in html
    villa = re.search(r'<th scope="row">Villa</th>.*?<select id="(type_\d+_\d+)"', html, re.S).group(1)
    assert form[villa] == "enebolig"

    # no sale date chosen: the page says so, and nothing is valued
    r = takst.post(url, data={**form, "handling": "verdsett"})
    assert r.status_code == 422 and "Velg hvilken kolonne som er salgsdato" in r.text
    assert 'role="alert"' in r.text and "<title>Feil:" in r.text
    # the price chosen twice: an error next to each select, tied to it, and the choices are kept
    std = _column(html, "standard")
    r = takst.post(url, data={**form, date_col: "sale_date", std: "price", "handling": "verdsett"})
    assert r.status_code == 422
    for col in (price_col, std):
        assert f'id="{col}" name="{col}" aria-invalid="true" aria-describedby="feil-{col}"' in r.text
        assert f'id="feil-{col}"' in r.text and f'href="#{col}"' in r.text
    assert _selected(r.text)[date_col] == "sale_date"
    # a date format that does not fit the dates
    r = takst.post(url, data={**form, date_col: "sale_date", "date_format": "%d.%m.%Y", "handling": "json"})
    assert r.status_code == 422 and 'aria-describedby="date_format-hint feil-date_format"' in r.text

    ok = {**form, date_col: "sale_date", "date_format": "%Y-%m-%d", "stigende_" + std.split("_")[1]: "1"}
    j = takst.post(url, data={**ok, "handling": "json"})
    y = takst.post(url, data={**ok, "handling": "yaml"})
    assert j.status_code == 200 and 'filename="kolonneoppsett.json"' in j.headers["content-disposition"]
    assert 'filename="kolonneoppsett.yaml"' in y.headers["content-disposition"]
    mapping = json.loads(j.text)
    assert parse_mapping(y.text, "kolonneoppsett.yaml").to_dict() == mapping
    assert mapping["sale_date"] == "Overtakelse" and mapping["monotone_increasing"] == ["standard"]
    assert mapping["building_type_values"] == {
        "Blokkleilighet": "leilighet",
        "Rekkehus": "rekkehus",
        "Tomannsbolig": "tomannsbolig",
        "Villa": "enebolig",
    }

    started = takst.post(url, data={**ok, "handling": "verdsett"}, follow_redirects=False)
    assert started.status_code == 303 and re.fullmatch(r"/jobber/\d+", started.headers["location"])
    job = finish_job(takst, started)
    assert job["state"] == "done", job
    done = takst.get(f"/jobber/{job['id']}/resultat", follow_redirects=True)
    assert done.status_code == 200 and "200 boliger er verdsatt" in done.text
    assert 'href="/eiendomsskatt/kolonneoppsett.yaml"' in done.text
    assert json.loads(takst.get("/eiendomsskatt/kolonneoppsett.json").text) == mapping


def test_editor_is_prefilled_from_a_given_mapping_and_closed_to_others(client_factory):
    takst = client_factory("takst")
    sales, dwellings = export(40, 60)
    given = {
        "sale_date": "Overtakelse",
        "price": "Pris",
        "lat": "lat",
        "lon": "lon",
        "living_area": "BRA",
        "date_format": "%Y-%m-%d",
        "building_type": "Boligtype",
        "building_type_values": {"Villa": "rekkehus"},
    }
    r = takst.post(
        "/eiendomsskatt/oppsett",
        data={"oppsett_tekst": json.dumps(given)},
        files={"salg": ("s.csv", sales), "boliger": ("b.csv", dwellings)},
        follow_redirects=False,
    )
    url = r.headers["location"]
    html = takst.get(url).text
    form = _form(html)
    assert form[_column(html, "Overtakelse")] == "sale_date" and form["date_format"] == "%Y-%m-%d"
    assert form[_column(html, "Byggeår")] == ""  # the given mapping did not name it
    villa = re.search(r'<th scope="row">Villa</th>.*?<select id="(type_\d+_\d+)"', html, re.S).group(1)
    assert form[villa] == "rekkehus"
    # a bad mapping text is refused on the upload page, before the editor
    bad = takst.post(
        "/eiendomsskatt/oppsett",
        data={"oppsett_tekst": '{"pris": "Pris"}'},
        files={"salg": ("s.csv", sales), "boliger": ("b.csv", dwellings)},
    )
    assert "Ukjente felt i kolonneoppsettet" in bad.text
    assert takst.get("/eiendomsskatt/oppsett/999999").status_code == 404
    assert client_factory("arkivar").get(url).status_code == 403


def test_a_second_valuation_waits_for_the_running_one(client_factory, demo_platform):
    """While a valuation runs for the tenant, another is not started: the new upload stays stored and its
    editor says why; once the first is done, the same button starts it."""
    import threading

    from kommuneki.core import jobs
    from kommuneki.core.models import Tenant

    takst = client_factory("takst")
    sales, dwellings = export()
    r = takst.post(
        "/eiendomsskatt/oppsett",
        files={"salg": ("salg.csv", sales), "boliger": ("boliger.csv", dwellings)},
        follow_redirects=False,
    )
    url = r.headers["location"]
    html = takst.get(url).text
    form = {
        **_form(html),
        _column(html, "Overtakelse"): "sale_date",
        "date_format": "%Y-%m-%d",
        "handling": "verdsett",
    }
    with demo_platform.db.installation_session() as session:
        tenant_id = session.query(Tenant).filter_by(slug="demo").one().id
    go = threading.Event()
    first = jobs.start(
        demo_platform,
        tenant_id,
        service="eiendomsskatt",
        title="Verdsetting av boliger",
        actor="test",
        fn=lambda report: go.wait(60) and {"message": "Første er ferdig."},
    )
    try:
        r = takst.post(url, data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == url
        assert "En verdsetting pågår allerede" in takst.get(url).text
    finally:
        go.set()
    assert jobs.wait(demo_platform, tenant_id, first, timeout=30)["state"] == "done"
    started = takst.post(url, data=form, follow_redirects=False)
    assert re.fullmatch(r"/jobber/\d+", started.headers["location"])
    assert finish_job(takst, started)["state"] == "done"
