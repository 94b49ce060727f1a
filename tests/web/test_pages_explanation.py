"""The suggestion page renders explanations readably: the generic renderer (Norwegian labels for known
keys, a column that is the same in every row lifted out, scores with a bar) and a kind's own partial
(``SuggestionKind.explanation_template``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kommuneki.config import Settings
from kommuneki.core import accounts, suggestions
from kommuneki.core.models import User
from kommuneki.core.platform import Platform
from kommuneki.core.registry import ServiceRegistry, ServiceSpec, SuggestionKind
from kommuneki.services.malform import spec as malform_spec

PASSWORD = "et-passord-for-test"
SCHEMA = {"type": "object", "required": ["summary"]}


def _spec() -> ServiceSpec:
    return ServiceSpec(
        name="regler",
        title="Regeltest",
        description="Testtjeneste for forklaringer.",
        kinds=[
            SuggestionKind(
                name="generisk",
                title="Generisk",
                explanation_schema=SCHEMA,
                value_schema={"properties": {"language": {"enum": ["nb", "nn"]}}},
            ),
            SuggestionKind(
                name="egen",
                title="Egen visning",
                explanation_schema=SCHEMA,
                explanation_template="tests.web:templates/explanation_partial.html",
            ),
        ],
    )


@pytest.fixture
def world(db_url, tmp_path):
    from kommuneki.web.app import create_app

    registry = ServiceRegistry()
    registry.register(malform_spec())
    registry.register(_spec())
    platform = Platform.from_settings(Settings(data_dir=tmp_path, database_url=db_url), registry=registry)
    with platform.db.installation_session() as session:
        tenant = accounts.create_tenant(session, slug="forklaring", name="Forklaring kommune", actor="test")
        user = accounts.create_user(session, username="siri", password=PASSWORD, actor="test")
        tid, uid = tenant.id, user.id
    ids = {}
    with platform.db.tenant_session(tid) as session:
        accounts.grant_role(session, tid, session.get(User, uid), "saksbehandler", actor="test")
        for kind, explanation in [
            (
                "generisk",
                {
                    "summary": "Teksten ligner mest på nynorsk.",
                    "evidence": [
                        {"type": "language_score", "language": "nn", "score": 0.82, "ukjent_nokkel": "x"},
                        {"type": "language_score", "language": "nb", "score": 0.41, "ukjent_nokkel": "y"},
                    ],
                    "method": "ordlister",
                },
            ),
            (
                "egen",
                {"summary": "Regel R7 slo til.", "rule": "R7", "evidence": [{"span": "abc", "start": 3}]},
            ),
        ]:
            s = suggestions.suggest(
                session,
                registry,
                tid,
                "regler",
                suggestions.Proposal(
                    kind=kind,
                    value={"language": "nn"},
                    confidence=0.55,
                    explanation=explanation,
                    model_name="test",
                    model_version="1",
                    input_hash="0" * 64,
                ),
            )
            ids[kind] = s.id
    client = TestClient(create_app(platform=platform))
    r = client.post(
        "/logg-inn",
        data={"username": "siri", "password": PASSWORD, "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    yield client, ids
    client.close()
    platform.close()


def _csrf(client: TestClient) -> str:
    page = client.get("/logg-inn").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_generic_explanation_uses_norwegian_labels_and_lifts_common_columns(world):
    client, ids = world
    html = client.get(f"/forslag/{ids['generisk']}").text
    assert '<p class="summary lead-summary">Teksten ligner mest på nynorsk.</p>' in html
    # known keys and codes in Norwegian; the type, equal in every row, moves to the caption
    assert ">Språk</th>" in html and ">Poeng</th>" in html and ">Type</th>" not in html
    assert "(type: språkpoeng)" in html and "<td>nynorsk</td>" in html
    # an unknown key is shown as it is, made readable
    assert ">Ukjent nokkel</th>" in html
    # a score in 0–1 is a figure with a decimal comma and a bar
    assert '<span class="score">0,82</span> <meter min="0" max="1" value="0.82"' in html
    assert "<dt>Metode</dt><dd>ordlister</dd>" in html
    # confidence as text and a visual; 55 % is low
    assert '55 % <span class="word">lav</span>' in html
    # the change form offers the value schema's choices, labelled
    assert (
        '<option value="nb" >bokmål</option>' in html
        and '<option value="nn" selected>nynorsk</option>' in html
    )
    assert '<select id="v-language" name="v__language">' in html


def test_a_kind_may_render_its_explanation_with_its_own_partial(world):
    client, ids = world
    html = client.get(f"/forslag/{ids['egen']}").text
    assert 'id="custom-explanation"' in html
    assert "Regelen <strong>R7</strong> slo til på 1 sted(er)." in html
    assert ">Utdrag</th>" in html and ">Fra tegn</th>" in html  # the shared evidence macro, reused
    # the generic renderer is not used for this kind
    assert "<dt>Rule</dt>" not in html


def test_the_label_filter_uses_each_services_own_labels(tmp_path, sqlite_template):
    import shutil

    from kommuneki.core.registry import discover
    from kommuneki.web.app import create_app

    shutil.copy(sqlite_template, tmp_path / "kommuneki.db")
    platform = Platform.from_settings(Settings(data_dir=tmp_path), registry=discover())
    try:
        app = create_app(platform=platform)
        label = app.state.templates.env.filters["label"]
        assert label("unit_id") == "Eiendom"  # eiendomsskatt's own label, not «Unit id»
        assert label("flag_reasons") == "Hvorfor kontrollere"
        assert label("type") == "Type"  # the core's
        assert label("noe_ukjent") == "Noe ukjent"
    finally:
        platform.close()
