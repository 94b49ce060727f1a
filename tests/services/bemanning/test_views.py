"""The page flow on a real database (SQLite and PostgreSQL): a unit leader uploads counts, the forecast
runs as a background job, she sees her own unit only, with the plot and the proposal she decides on."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from kommuneki.services.bemanning.engine import generator

PASSWORD = "et-passord-for-test"
MINIMUM = b"unit,shift,minimum,planned\nEnhet 0001,dag,6,8\nEnhet 0001,natt,2,2\nEnhet 0002,dag,12,14\n"


@pytest.fixture
def clients(platform):
    from tests.conftest import login_client

    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant
    from kommuneki.web.app import create_app

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as session:
        ids = {
            n: accounts.create_user(session, username=n, password=PASSWORD, actor="test", via="test").id
            for n in ("leder1", "arkivar")
        }
    with platform.db.tenant_session(tid) as session:
        membership = accounts.grant_role(
            session, tid, session.get(User, ids["leder1"]), "leder", actor="test"
        )
        membership.units = ["enhet-0001"]
        accounts.grant_role(session, tid, session.get(User, ids["arkivar"]), "arkivar", actor="test")
    app = create_app(platform=platform)
    made = []

    def make(username):
        c = login_client(app, username, PASSWORD)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def _finish(client, response, timeout=120.0):
    job_id = int(re.search(r"/jobber/(\d+)$", response.headers["location"]).group(1))
    deadline = time.monotonic() + timeout
    while (job := client.get(f"/api/v1/jobs/{job_id}").json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return job


def test_upload_forecast_and_the_leaders_own_unit(clients):
    units = generator.generate(3, dt.date(2024, 9, 2), dt.date(2025, 11, 30), seed=5, staff=[30, 60, 12])
    leader = clients("leder1")
    token = leader.headers["X-CSRF-Token"]
    bad = leader.post(
        "/bemanning/prognose",
        data={"csrf_token": token},
        files={"historikk": ("f.csv", b"date,unit,absent\n2025-01-01,A,mange\n")},
        follow_redirects=True,
    )
    assert "ingenting er lest" in bad.text
    started = leader.post(
        "/bemanning/prognose",
        data={"csrf_token": token},
        files={
            "historikk": ("fravaer.csv", generator.to_csv(units).encode()),
            "minimum": ("min.csv", MINIMUM),
        },
        follow_redirects=False,
    )
    assert started.status_code == 303
    job = _finish(leader, started)
    assert job["state"] == "done", job
    overview = leader.get("/bemanning")
    assert "Enhet 0001" in overview.text and "Enhet 0002" not in overview.text  # her own unit only
    item_id = int(re.search(r"/bemanning/enhet/(\d+)", overview.text).group(1))
    page = leader.get(f"/bemanning/enhet/{item_id}")
    assert page.status_code == 200
    assert "<svg" in page.text and '<title id="bm-t">Fraværsprognose for Enhet 0001' in page.text
    assert "Forslag til ekstravakter" in page.text and "natt" in page.text
    # the forecast is recorded but never a queue item; the staffing proposal is, for her to decide
    kinds = {row["kind"] for row in leader.get("/api/v1/suggestions?limit=200").json()["items"]}
    assert "bemanning.ekstravakter" in kinds and "bemanning.prognose" not in kinds
    staffing_id = int(re.search(r'href="/forslag/(\d+)"', page.text).group(1))
    decided = leader.post(
        f"/forslag/{staffing_id}/avgjor",
        data={"csrf_token": token, "outcome": "accepted"},
        follow_redirects=True,
    )
    assert decided.status_code == 200
    assert "Avgjort" in leader.get(f"/bemanning/enhet/{item_id}").text
    # the track record: a rolling-origin backtest as a background job, shown on her unit's page
    started = leader.post(
        f"/bemanning/enhet/{item_id}/tilbakeblikk",
        data={"csrf_token": token, "uker": "3"},
        follow_redirects=False,
    )
    assert _finish(leader, started)["state"] == "done"
    assert re.search(
        r"Siste 3 uker: bom med i snitt \d+,\d personer", leader.get(f"/bemanning/enhet/{item_id}").text
    )
    # another unit's page is not hers; other roles do not see bemanning
    others = leader.get("/api/v1/bemanning/units").json()["units"]
    assert [u["forecast"]["value"]["unit"] for u in others] == ["Enhet 0001"]
    assert clients("arkivar").get("/bemanning").status_code == 403


def test_the_api_forecast_is_not_stored(clients, platform):
    units = generator.generate(2, dt.date(2025, 1, 6), dt.date(2025, 9, 30), seed=2, staff=[20, 40])
    leader = clients("leder1")
    r = leader.post(
        "/api/v1/bemanning/forecast?horizon=7", files={"history": ("h.csv", generator.to_csv(units).encode())}
    )
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert len(rows) == 14 and all(row["q10"] <= row["q50"] <= row["q90"] for row in rows)
    bad = leader.post("/api/v1/bemanning/forecast", files={"history": ("h.csv", b"x,y\n1,2\n")})
    assert bad.status_code == 422 and "mangler kolonnene" in bad.text


def test_rota_repair_page_lists_who_may_take_the_shift(clients, platform):
    pytest.importorskip("ortools", reason="the rota repair needs OR-Tools: pip install -e '.[bemanning]'")
    from sqlalchemy import select

    from kommuneki.core.models import Item
    from kommuneki.services.bemanning.engine import rota as rr

    data = rr.generate_rota(8, 2, seed=3, start=dt.date(2026, 3, 9))
    leader = clients("leder1")
    token = leader.headers["X-CSRF-Token"]
    overview = leader.get("/bemanning").text
    assert overview.count('id="h-turnus"') == 1 and "<title>Bemanning – kommuneki</title>" in overview
    page = leader.post(
        "/bemanning/turnus",
        data={
            "csrf_token": token,
            "dag": "2026-03-12",
            "vakt": "kveld",
            "ordning": "turnus",
            "avtale": "ingen",
        },
        files={"turnus": ("turnus.csv", data)},
    )
    assert page.status_code == 200
    expected = rr.eligible(
        rr.read_rota(data), rr.open_shift(rr.read_rota(data), dt.date(2026, 3, 12), "kveld"), rr.limits()
    )
    assert expected["message"] in page.text.replace("&#39;", "'")
    for name in expected["eligible"]:
        assert f"<li>{name}</li>" in page.text
    assert "aml. § 10-8 (1)" in page.text
    with platform.db.read_session(unscoped=True) as session:  # the rota is stored first, like every input
        assert (
            session.scalar(select(Item).where(Item.service == "bemanning", Item.kind == "rota")) is not None
        )
    bad = leader.post(
        "/bemanning/turnus",
        data={"csrf_token": token, "dag": "2026-03-12", "vakt": "seinvakt"},
        files={"turnus": ("turnus.csv", data)},
        follow_redirects=True,
    )
    assert "finnes ikke i turnusen" in bad.text
    arkivar = clients("arkivar")
    denied = arkivar.post(
        "/bemanning/turnus",
        data={"csrf_token": arkivar.headers["X-CSRF-Token"], "dag": "2026-03-12", "vakt": "kveld"},
        files={"turnus": ("turnus.csv", data)},
    )
    assert denied.status_code == 403


def test_a_hostile_rota_on_the_page_is_a_norwegian_error_never_a_500(clients):
    pytest.importorskip("ortools", reason="the rota repair needs OR-Tools: pip install -e '.[bemanning]'")
    leader = clients("leder1")
    form = {"csrf_token": leader.headers["X-CSRF-Token"], "dag": "9999-12-31", "vakt": "natt"}
    for data in (
        b'person,date,shift,from,to\nKari,2026-03-09,dag,07:00,15:00\n"' + b"x" * 200_000 + b'",1,2,3,4\n',
        b"person,date,shift,from,to\nKari,9999-12-31,natt,22:00,07:00\n",
        b"person,date,shift,from,to\nKari,9999-12-25,natt,22:00,07:00\n",
    ):
        page = leader.post("/bemanning/turnus", data=form, files={"turnus": ("turnus.csv", data)})
        assert page.status_code == 200, page.text[:300]  # the overview again, with the error
        assert "altfor lang" in page.text or "år 9999" in page.text


def test_planned_staff_from_a_rota_upload_and_the_decided_proposal_as_csv(clients):
    """The rota export gives the planned staff per shift; the decided proposal is exported as CSV that no
    spreadsheet runs as a formula (the unit's name starts with «=»), with counts only, never a person."""
    units = generator.generate(1, dt.date(2024, 9, 2), dt.date(2025, 11, 30), seed=8, staff=[40])
    history = generator.to_csv(units).replace("Enhet 0001", "=Enhet 0001").encode()
    first = dt.date(2025, 12, 1)
    rota = "ansatt;dato;vakt;fra;til;enhet\n" + "".join(
        f"{name};{first + dt.timedelta(days=i)};dag;07:00;15:00;=Enhet 0001\n"
        for i in range(3)
        for name in ("Kari Nordmann", "Ola Hansen")
    )
    leader = clients("leder1")
    token = leader.headers["X-CSRF-Token"]
    started = leader.post(
        "/bemanning/prognose",
        data={"csrf_token": token},
        files={
            "historikk": ("fravaer.csv", history),
            "minimum": ("min.csv", b"unit,shift,minimum,planned\n=Enhet 0001,dag,4,6\n"),
            "turnus": ("turnus.csv", rota.encode()),
        },
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    assert _finish(leader, started)["state"] == "done"
    overview = leader.get("/bemanning").text
    item_id = int(re.search(r"/bemanning/enhet/(\d+)", overview).group(1))
    staffing = leader.get("/api/v1/bemanning/units").json()["units"][0]["staffing"]["value"]
    by_day = {r["date"]: r for r in staffing["rows"]}
    assert by_day[first.isoformat()]["planned"] == 2 and by_day[first.isoformat()]["planned_from"] == "turnus"
    assert by_day[first.isoformat()]["extra_shifts"] >= 2  # two planned against a minimum of four
    later = (first + dt.timedelta(days=5)).isoformat()
    assert by_day[later]["planned"] == 6 and by_day[later]["planned_from"] == "minimumsfil"
    undecided = leader.get(f"/bemanning/enhet/{item_id}/ekstravakter.csv")
    assert undecided.status_code == 200 and undecided.text.strip().count("\n") == 0  # the header only
    page = leader.get(f"/bemanning/enhet/{item_id}").text
    staffing_id = int(re.search(r'href="/forslag/(\d+)"', page).group(1))
    leader.post(
        f"/forslag/{staffing_id}/avgjor",
        data={"csrf_token": token, "outcome": "accepted"},
        follow_redirects=True,
    )
    assert f"/bemanning/enhet/{item_id}/ekstravakter.csv" in leader.get(f"/bemanning/enhet/{item_id}").text
    export = leader.get(f"/bemanning/enhet/{item_id}/ekstravakter.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    lines = export.text.strip().splitlines()
    assert lines[0].startswith("unit,date,shift,minimum,planned,planned_from")
    assert len(lines) == 1 + len(staffing["rows"])
    assert all(line.startswith("'=Enhet 0001,") for line in lines[1:])  # formula-safe
    cells = lines[1].split(",")
    assert cells[1] == first.isoformat() and cells[4] == "2" and cells[5] == "turnus"
    assert int(cells[8]) == by_day[first.isoformat()]["extra_shifts"] and cells[10] == "accepted"
    assert "Kari" not in export.text and "Ola" not in export.text
    assert leader.get("/bemanning/ekstravakter.csv").text == export.text  # all her units: this one
    assert clients("arkivar").get("/bemanning/ekstravakter.csv").status_code == 403
