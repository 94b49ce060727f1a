"""Pages: the ratio study with plots and the owner's page, for the eiendomsskatt office only; the tax
list downloads; the CLI evaluate contract."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from kommuneki.services.eiendomsskatt.engine import demo

from .jobhelp import finish_job

PASSWORD = "et-passord-for-test"


@pytest.fixture
def office(platform):
    """The platform with only this service's demo valuation loaded (the full demo loads every service),
    and a signed-in client factory for a valuer ("takst") and an archivist ("arkivar")."""
    from tests.conftest import login_client

    from kommuneki.core import accounts
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant
    from kommuneki.services.eiendomsskatt.demo import load as load_demo
    from kommuneki.web.app import create_app

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as session:
        users = {
            n: accounts.create_user(session, username=n, password=PASSWORD, actor="test", via="test").id
            for n in ("takst", "arkivar")
        }
    from kommuneki.core.models import User

    with platform.db.tenant_session(tid) as session:
        accounts.grant_role(session, tid, session.get(User, users["takst"]), "eiendomsskatt", actor="test")
        accounts.grant_role(session, tid, session.get(User, users["arkivar"]), "arkivar", actor="test")
    load_demo(platform, tid)
    app = create_app(platform=platform)
    clients = []

    def make(username):
        c = login_client(app, username, PASSWORD)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def test_office_pages_and_tax_list(office):
    takst = office("takst")
    r = takst.get("/eiendomsskatt")
    assert r.status_code == 200
    html = r.text
    assert "Salgsforholdsstudie" in html and "<svg" in html and "<title" in html
    assert 'style="' not in html and "<script" not in html  # CSP: no inline style or script
    unit = html.split('href="/eiendomsskatt/bolig/')[1].split('"')[0].split("?")[0]
    page = takst.get(f"/eiendomsskatt/bolig/{unit}")
    assert page.status_code == 200
    assert "Slik klager du" in page.text and "seks uker" in page.text and "Sammenlignbare salg" in page.text
    assert "Priser på lignende salg i nærheten" in page.text
    csv = takst.get("/eiendomsskatt/skatteliste.csv")
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").startswith(
        "Eiendom (matrikkelenhet/seksjon)"
    )
    xlsx = takst.get("/eiendomsskatt/skatteliste.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    api = takst.get(f"/api/v1/eiendomsskatt/dwellings/{unit}")
    assert api.status_code == 200 and api.json()["tax"]["unit_id"] == unit
    # the suggestion page shows this kind's explanation partial
    sid = takst.get(f"/api/v1/eiendomsskatt/dwellings/{unit}").json()["dwellings"][0]["suggestion_id"]
    assert sid  # the first listed dwelling is the first flagged one, which the demo puts in the queue
    sp = takst.get(f"/forslag/{sid}")
    assert sp.status_code == 200 and "summerer til anslaget" in sp.text and "Sammenlignbare salg" in sp.text
    # the officer sets another value with a reason on the suggestion page; the owner's page shows it
    token = sp.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = takst.post(
        f"/forslag/{sid}/avgjor",
        data={
            "csrf_token": token,
            "outcome": "changed",
            "v__value": "4000000",
            "t__value": "int",
            "v__unit_id": unit,
            "t__unit_id": "str",
            "reason": "Befaring viste feil bruksareal.",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200, r.text
    owner = takst.get(f"/eiendomsskatt/bolig/{unit}").text
    assert "satt den til 4 000 000 kr" in owner and "endret av saksbehandler" in owner
    # one demo load serves the checks below too (loading trains a model)
    _settings_form_refuses_a_rate_above_the_ceiling(takst)
    _other_roles_may_not_see_valuations(office)


def test_upload_form_values_and_reports_a_bad_mapping(platform):
    """The upload form runs a valuation from files; a bad mapping comes back as a readable error."""
    from fastapi.testclient import TestClient

    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant
    from kommuneki.web.app import create_app

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as session:
        uid = accounts.create_user(session, username="takst", password=PASSWORD, actor="test", via="test").id
    with platform.db.tenant_session(tid) as session:
        accounts.grant_role(session, tid, session.get(User, uid), "eiendomsskatt", actor="test")
    with TestClient(create_app(platform=platform)) as c:
        token = c.post("/api/v1/auth/login", json={"username": "takst", "password": PASSWORD}).json()[
            "csrf_token"
        ]
        sales, dwellings = demo.generate(n_dwellings=200, n_sales=400, seed=8)
        files = {
            "salg": ("salg.csv", demo.to_csv_bytes(sales)),
            "boliger": ("boliger.csv", demo.to_csv_bytes(dwellings)),
        }
        bad = c.post(
            "/eiendomsskatt/verdsett",
            data={"csrf_token": token, "oppsett_tekst": '{"pris": "pris"}'},
            files=files,
            follow_redirects=True,
        )
        assert "Ukjente felt i kolonneoppsettet" in bad.text
        # the files are stored and the valuation runs as a background job: the browser goes to its page
        started = c.post(
            "/eiendomsskatt/verdsett",
            data={"csrf_token": token, "oppsett_tekst": json.dumps(demo.DEMO_MAPPING)},
            files=files,
            follow_redirects=False,
        )
        assert started.status_code == 303 and re.fullmatch(r"/jobber/\d+", started.headers["location"])
        page = c.get(started.headers["location"])
        assert (
            page.status_code == 200
            and "<h1>Verdsetting av boliger</h1>" in page.text
            and "<progress" in page.text
        )
        job = finish_job(c, started)
        assert job["state"] == "done", job
        assert job["message"].startswith("200 boliger er verdsatt") and job["result_url"] == "/eiendomsskatt"
        done = c.get(started.headers["location"]).text
        assert "Ferdig" in done and "Se resultatet" in done
        ok = c.get(f"/jobber/{job['id']}/resultat", follow_redirects=True)
        assert "200 boliger er verdsatt" in ok.text and "Salgsforholdsstudie" in ok.text
        # a valuation that fails after the job started shows on the job page, with a link to the editor
        odd = {**demo.DEMO_MAPPING, "price": demo.DEMO_MAPPING["building_type"]}
        failed = c.post(
            "/eiendomsskatt/verdsett",
            data={"csrf_token": token, "oppsett_tekst": json.dumps(odd)},
            files=files,
            follow_redirects=False,
        )
        job = finish_job(c, failed)
        assert job["state"] == "failed" and job["error"], job
        assert re.fullmatch(r"/eiendomsskatt/oppsett/\d+", job["result_url"])
        page = c.get(failed.headers["location"]).text
        assert "Feilet" in page and job["error"] in page.replace("&#34;", '"').replace("&#39;", "'")
        assert f'href="{job["result_url"]}"' in page and c.get(job["result_url"]).status_code == 200


def _settings_form_refuses_a_rate_above_the_ceiling(takst):
    page = takst.get("/eiendomsskatt")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = takst.post(
        "/eiendomsskatt/innstillinger",
        data={"csrf_token": token, "promille": "5", "bunnfradrag": "0", "valuation_date": "2025-01-01"},
        follow_redirects=True,
    )
    assert "mellom 0 og 4 promille" in r.text


def _other_roles_may_not_see_valuations(office):
    arkivar = office("arkivar")
    assert arkivar.get("/eiendomsskatt").status_code == 403
    assert arkivar.get("/eiendomsskatt/skatteliste.csv").status_code == 403


def test_cli_evaluate_json_contract(tmp_path):
    from kommuneki.cli import main

    sales, _ = demo.generate(n_dwellings=600, n_sales=600, seed=4)
    (tmp_path / "salg.csv").write_bytes(demo.to_csv_bytes(sales))
    (tmp_path / "map.json").write_text(json.dumps(demo.DEMO_MAPPING))
    r = CliRunner().invoke(
        main,
        [
            "eiendomsskatt",
            "evaluate",
            "--sales",
            str(tmp_path / "salg.csv"),
            "--mapping",
            str(tmp_path / "map.json"),
            "--holdout-fraction",
            "0.2",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    keys = {
        "mape",
        "median_ape",
        "within_10",
        "within_20",
        "median_ratio",
        "cod",
        "prd",
        "prb",
        "interval_coverage",
        "flagged_share",
    }
    assert keys <= set(out["model"]) and keys <= set(out["baseline"])
    assert 0 < out["model"]["mape"] < 1 and out["model"]["cod"] > 1  # fraction vs per cent
    assert out["info"]["rejected_rows"] > 0  # the generated bad rows are reported


def test_cli_bad_mapping_is_a_clear_error(tmp_path):
    from kommuneki.cli import main

    (tmp_path / "s.csv").write_text("a,b\n1,2\n")
    (tmp_path / "m.json").write_text('{"pris": "a"}')
    r = CliRunner().invoke(
        main,
        [
            "eiendomsskatt",
            "evaluate",
            "--sales",
            str(tmp_path / "s.csv"),
            "--mapping",
            str(tmp_path / "m.json"),
        ],
    )
    assert r.exit_code == 2 and "Ukjente felt" in r.output
