"""The tenant settings page and API (/admin/innstillinger, /api/v1/settings) on the demo, on SQLite and
PostgreSQL: who may, validation with the message beside the field, what is stored (where the service
reads it), the audit entry, CSRF, operator-only fields."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from kommuneki.core import audit
from kommuneki.core.models import Tenant
from kommuneki.demo import DEMO_USERS

PAGE = "/admin/innstillinger"
HTML = {"accept": "text/html"}


def _tenant_id(platform, slug: str = "demo") -> int:
    with platform.db.installation_session(unscoped=True) as session:
        return session.scalar(select(Tenant.id).where(Tenant.slug == slug))


def _stored(platform, service: str) -> dict:
    with platform.db.installation_session(unscoped=True) as session:
        return dict((session.get(Tenant, _tenant_id(platform)).settings or {}).get(service) or {})


def _updates(platform) -> list[dict]:
    tenant_id = _tenant_id(platform)
    with platform.db.read_session(tenant_id) as session:
        return [
            {"actor": e.actor, "data": e.data}
            for e in audit.query(session, tenant_id, event="tenant.updated", newest_first=True)
        ]


def _bemanning_form(page_html: str) -> dict[str, str]:
    """The values the page shows in bemanning's form (name → value), as a browser would send them."""
    form = re.search(r'action="/admin/innstillinger/bemanning".*?</form>', page_html, re.S).group(0)
    shown = r'<input id="bemanning-[a-z_]+" name="([a-z_]+)" value="([^"]*)"'
    values = dict(re.findall(shown, form))
    values["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return values


@pytest.mark.parametrize("username", [u["username"] for u in DEMO_USERS])
def test_only_the_tenants_admin_sees_and_changes_the_settings(client_factory, username):
    client = client_factory(username)
    may = "admin" in next(u["roles"] for u in DEMO_USERS if u["username"] == username)
    page = client.get(PAGE, headers=HTML)
    api = client.get("/api/v1/settings")
    put = client.put("/api/v1/settings/bemanning", json={"horizon": 21})
    post = client.post(PAGE + "/bemanning", data={"horizon": "21"}, headers=HTML, follow_redirects=False)
    if may:
        assert page.status_code == 200 and api.status_code == 200 and put.status_code == 200
        assert post.status_code == 303
        assert 'href="/admin/innstillinger"' in page.text  # in the menu
    else:
        assert (page.status_code, api.status_code, put.status_code, post.status_code) == (403,) * 4
        assert api.json()["error"]["code"] == "forbidden"
        assert 'href="/admin/innstillinger"' not in client.get("/", headers=HTML).text


def test_every_service_with_settings_has_a_form_with_norwegian_labels(client_factory, demo_platform):
    client = client_factory("admin")
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200
    from kommuneki.core import tenant_settings

    with_settings = [spec for spec in demo_platform.registry if spec.settings]
    assert {"bemanning", "tale"} <= {spec.name for spec in with_settings}
    for spec in with_settings:
        assert f'action="/admin/innstillinger/{spec.name}"' in page.text
        for name, field in tenant_settings.model_of(spec).model_fields.items():
            assert f'<label for="{spec.name}-{name}">{field.title}</label>' in page.text
    # the defaults, a float with a decimal comma, the limits as a hint
    assert 'name="probability" value="0,9"' in page.text
    assert "Minst 7, høyst 56" in page.text
    items = {item["service"]: item for item in client.get("/api/v1/settings").json()["items"]}
    assert items["bemanning"]["values"]["horizon"] == 28
    assert items["bemanning"]["schema"]["properties"]["horizon"]["title"] == "Prognosehorisont (dager)"
    assert items["tale"]["operator_only"] == ["model_dir"]


def test_a_saved_change_is_stored_where_the_service_reads_it_and_audited(client_factory, demo_platform):
    from kommuneki.services.bemanning import service as bemanning

    client = client_factory("admin")
    sent = _bemanning_form(client.get(PAGE, headers=HTML).text)
    before = len(_updates(demo_platform))
    r = client.post(
        PAGE + "/bemanning",
        data={**sent, "horizon": "21", "probability": "0,95", "late_cost": "2 000"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/innstillinger#bemanning"
    page = client.get(r.headers["location"], headers=HTML)
    assert "Innstillingene for" in page.text and "er lagret." in page.text
    assert 'name="horizon" value="21"' in page.text

    read = bemanning.get_settings(demo_platform, _tenant_id(demo_platform))
    assert (read.horizon, read.probability, read.late_cost) == (21, 0.95, 2000.0)
    assert _stored(demo_platform, "bemanning")["horizon"] == 21
    updates = _updates(demo_platform)
    assert len(updates) == before + 1
    assert json.loads(updates[0]["data"]) == {
        "fields": ["bemanning.horizon", "bemanning.late_cost", "bemanning.probability"]
    }  # the names of the fields, not their values

    # saving the same values again changes nothing and records nothing
    again = client.post(PAGE + "/bemanning", data=_bemanning_form(page.text), headers=HTML)
    assert "Ingen endringer" in again.text
    assert len(_updates(demo_platform)) == before + 1


def test_a_refused_value_is_shown_beside_its_field_and_nothing_is_stored(client_factory, demo_platform):
    client = client_factory("admin")
    sent = _bemanning_form(client.get(PAGE, headers=HTML).text)
    before = len(_updates(demo_platform))
    r = client.post(
        PAGE + "/bemanning",
        data={**sent, "horizon": "100", "probability": "mye", "min_group": "6"},
        headers=HTML,
    )
    assert r.status_code == 422
    one_field = r'<div class="field invalid">(?:(?!</div>).)*name="horizon"(?:(?!</div>).)*</div>'
    field = re.search(one_field, r.text, re.S)
    assert field, "the horizon field is not marked invalid"
    assert 'id="bemanning-horizon-error">Kan ikke være mer enn 56.</p>' in field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    assert 'id="bemanning-probability-error">Må være et tall (f.eks. 0,9).</p>' in r.text
    # the form as sent: the refused texts and the other change are still there
    assert 'name="horizon" value="100"' in r.text and 'name="probability" value="mye"' in r.text
    assert 'name="min_group" value="6"' in r.text
    assert _stored(demo_platform, "bemanning") == {}
    assert len(_updates(demo_platform)) == before

    api = client.put("/api/v1/settings/bemanning", json={"horizon": 3, "colour": "blå"})
    assert api.status_code == 422 and api.json()["error"]["details"] == [
        {"field": "colour", "message": "Ukjent innstilling."}
    ]
    api = client.put("/api/v1/settings/bemanning", json={"horizon": 3})
    assert api.json()["error"]["details"] == [{"field": "horizon", "message": "Må være minst 7."}]
    assert client.put("/api/v1/settings/finnes-ikke", json={}).status_code == 404


def test_a_form_without_the_csrf_token_is_refused(client_factory, demo_platform):
    client = client_factory("admin")
    del client.headers["X-CSRF-Token"]
    r = client.post(PAGE + "/bemanning", data={"horizon": "21"}, headers=HTML)
    assert r.status_code == 403 and "CSRF" in r.text
    assert _stored(demo_platform, "bemanning") == {}


def test_an_operator_only_field_is_read_only_for_the_tenant_admin(client_factory, demo_platform):
    from kommuneki.core import accounts
    from kommuneki.demo import DEMO_PASSWORD

    client = client_factory("admin")
    page = client.get(PAGE, headers=HTML).text
    assert re.search(r'<input id="tale-model_dir" name="model_dir" value=""[^>]* disabled', page)
    assert "Settes av driftsansvarlig." in page
    r = client.put("/api/v1/settings/tale", json={"model_dir": "/etc"})
    assert r.status_code == 403 and "driftsansvarlig" in r.json()["error"]["message"]
    # the other fields of the form save without it
    r = client.post(PAGE + "/tale", data={"language": "nn", "template": "fritekst"}, headers=HTML)
    assert r.status_code == 200 and "er lagret." in r.text
    assert _stored(demo_platform, "tale")["language"] == "nn"
    assert _stored(demo_platform, "tale")["model_dir"] is None

    tenant_id = _tenant_id(demo_platform)
    with demo_platform.db.tenant_session(tenant_id) as session:
        operator = accounts.create_user(
            session, username="drift", password=DEMO_PASSWORD, is_operator=True, actor="test", via="test"
        )
        accounts.grant_role(session, tenant_id, operator, "leder", actor="test")
    drift = client_factory("drift")
    r = drift.put("/api/v1/settings/tale", json={"model_dir": "/srv/modeller/whisper"})
    assert r.status_code == 200 and r.json()["changed"] == ["model_dir"]
    assert _stored(demo_platform, "tale")["language"] == "nn"  # the rest stayed


@pytest.mark.parametrize(
    "change",
    [
        {"llm_url": "https://angriper.example/v1"},
        {"llm_api_key_env": "KOMMUNEKI_LLM_KEY_X"},
        {"llm_allow_public": True},
        {"llm_timeout_s": 60},
    ],
)
def test_a_tenant_admin_cannot_point_generated_answers_at_a_server_or_a_secret(client_factory, change):
    """Where saksinnsikt's language model is, which environment variable it gets as its key and how long a
    search waits are the operator's (a tenant admin could otherwise send the server's secrets, e.g. the
    database URL, to a server of her own); the key's variable must be one named for it."""
    client = client_factory("admin")
    r = client.put("/api/v1/settings/saksinnsikt", json=change)
    assert r.status_code == 403 and "driftsansvarlig" in r.json()["error"]["message"]


def test_the_key_variable_of_generated_answers_must_be_one_made_for_it():
    from kommuneki.services.saksinnsikt.settings import SaksinnsiktSettings

    with pytest.raises(ValueError, match="KOMMUNEKI_LLM_KEY"):
        SaksinnsiktSettings(llm_api_key_env="KOMMUNEKI_DATABASE_URL")
    assert SaksinnsiktSettings(llm_api_key_env="KOMMUNEKI_LLM_KEY_VLLM").llm_api_key_env
