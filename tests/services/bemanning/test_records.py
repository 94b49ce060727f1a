"""The absence-record import keeps nothing about any person: counts per unit and day only, the raw file
and the pseudonyms never stored or logged (ADR 0009) — and the page and API never show a person."""

from __future__ import annotations

import datetime as dt
import logging
import random

import pytest

from kommuneki.services.bemanning.engine.errors import InputError
from kommuneki.services.bemanning.engine.history import read_history
from kommuneki.services.bemanning.engine.records import import_records

NAMES = ["Kari Nordmann", "Ola Hansen", "Per Persen", "Aud Fjell", "Liv Berg", "Siv Dal", "Tor Li"]


def _records(days: int = 240, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    start = dt.date(2025, 1, 1)
    lines = ["person;unit;from;to;type"]
    for n in range(days // 2):
        who = rng.choice(NAMES)
        a = start + dt.timedelta(days=rng.randrange(days))
        kind = rng.choice(["egenmeldt", "legemeldt", "sykt barn", "ferie"])
        lines.append(
            f"{who};{'Sone nord' if n % 3 else 'Sone sør'};{a};"
            f"{a + dt.timedelta(days=rng.randrange(6))};{kind}"
        )
    lines += [f"Aud Fjell;Liten;{start + dt.timedelta(days=9)};{start + dt.timedelta(days=12)};egenmeldt"]
    lines += [
        f"Tor Li;Liten;{start + dt.timedelta(days=days - 9)};{start + dt.timedelta(days=days - 7)};sykt barn"
    ]
    return ("\n".join(lines) + "\n").encode()


def test_overlapping_spells_count_once_and_planned_absence_is_left_out():
    data = (
        "person,unit,from,to,type\n"
        "Kari Nordmann,A,2025-03-03,2025-03-05,egenmeldt\n"
        "Kari Nordmann,A,2025-03-05,2025-03-07,legemeldt\n"  # overlaps the first: one spell
        "Ola Hansen,A,2025-03-04,2025-03-04,sykt barn\n"
        "Ola Hansen,A,2025-03-06,2025-03-20,ferie\n"  # planned: not counted
        "Per Persen,B,45720,45720,egenmeldt\n"  # an Excel date: 2025-03-04
    ).encode()
    counts = import_records(data)
    assert counts.merged_spells == 1 and counts.planned_rows == 1 and counts.units == {"A": 2, "B": 1}
    history = read_history(counts.csv)
    assert history.units == ["A", "B"]
    assert list(history.absent[0]) == [1, 2, 1, 1, 1]  # 3–7 March
    assert list(history.absent[1]) == [0, 1, 0, 0, 0]
    text = counts.csv.decode()
    assert not any(name in text for name in NAMES)


def test_bad_rows_are_named_and_nothing_is_imported():
    data = (
        b"person,unit,from,to,type\nA,B,2025-01-02,2025-01-01,egenmeldt\n"
        b"A,B,2025-01-01,2025-01-01,influensa\n"
    )
    with pytest.raises(InputError) as caught:
        import_records(data)
    assert "til-dato er før fra-dato" in caught.value.message and "ukjent fraværstype" in caught.value.message
    with pytest.raises(InputError, match="mangler kolonnene type"):
        import_records(b"person,unit,from,to\nA,B,2025-01-01,2025-01-02\n")


def test_nothing_about_a_person_is_stored_logged_or_shown(platform, caplog, tmp_path):
    from tests.conftest import login_client

    from kommuneki.core import accounts, jobs
    from kommuneki.core.models import User
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant
    from kommuneki.services.bemanning import service
    from kommuneki.web.app import create_app

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as session:
        uid = accounts.create_user(
            session, username="leder", password="et-passord-for-test", actor="t", via="t"
        ).id
    with platform.db.tenant_session(tid) as session:
        accounts.grant_role(session, tid, session.get(User, uid), "leder", actor="test")
    raw = _records()
    caplog.set_level(logging.DEBUG)
    with login_client(create_app(platform=platform), "leder", "et-passord-for-test") as client:
        started = client.post(
            "/bemanning/fravaer",
            data={"csrf_token": client.headers["X-CSRF-Token"]},
            files={"fravaer": ("eksport.csv", raw)},
            follow_redirects=False,
        )
        assert started.status_code == 303
        job_id = int(started.headers["location"].rsplit("/", 1)[1])
        assert jobs.wait(platform, tid, job_id, timeout=120)["state"] == "done"
        shown = client.get("/bemanning").text + client.get("/api/v1/bemanning/units").text
        unit_pages = [
            client.get(f"/bemanning/enhet/{u['item_id']}").text
            for u in client.get("/api/v1/bemanning/units").json()["units"]
        ]
        audit = client.get("/api/v1/audit/export").text
    assert "Sone nord" in shown and "Færre enn 5 personer" in " ".join(unit_pages)
    everything = shown + " ".join(unit_pages) + audit + caplog.text
    for name in NAMES:
        assert name not in everything
    # the raw file is not in the blob store; no stored file holds a name
    stored = [p.read_bytes() for p in platform.settings.data_dir.rglob("*") if p.is_file()]
    assert raw not in stored
    assert not any(name.encode() in blob for blob in stored for name in NAMES)
    with platform.db.read_session(tid) as session:
        from sqlalchemy import select

        from kommuneki.core.models import Item

        kinds = set(session.scalars(select(Item.kind).where(Item.service == service.SERVICE)))
    assert kinds == {"absence_counts", "aggregate"}
