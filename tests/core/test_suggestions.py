"""Suggestions, decisions, supersession and automation policies — the decision-support contract.

Uses a small internal test service registered in a registry built here (one automatable kind and one
that is not, as a decision about a person's rights would be), next to the real målform service.
"""

from __future__ import annotations

import json
import math

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kommuneki.core import accounts, audit, items, suggestions
from kommuneki.core.errors import Conflict, Forbidden, InvalidInput
from kommuneki.core.models import AuditEntry, Decision, Suggestion, User
from kommuneki.core.permissions import Principal
from kommuneki.core.registry import ServiceRegistry, ServiceSpec, SuggestionKind
from kommuneki.core.suggestions import Proposal
from kommuneki.services.malform import engine as malform_engine
from kommuneki.services.malform import spec as malform_spec
from tests.core.world import fresh_tenant, mplatform  # noqa: F401 - module-scoped fixture

SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {
        "evidence": {
            "type": "array",
            "items": {"type": "object", "required": ["rule"], "properties": {"rule": {"type": "string"}}},
        }
    },
}


VALUE_SCHEMA = {
    "type": "object",
    "required": ["kategori"],
    "additionalProperties": False,
    "properties": {"kategori": {"type": "string", "minLength": 1}},
}


def test_registry() -> ServiceRegistry:
    reg = ServiceRegistry()
    reg.register(
        ServiceSpec(
            name="testtjeneste",
            title="Testtjeneste",
            description="Intern tjeneste for tester.",
            kinds=[
                SuggestionKind("sortering", "Sortering", SCHEMA, automatable=True, value_schema=VALUE_SCHEMA),
                SuggestionKind("vedtak", "Vedtak om en persons rettigheter", SCHEMA, automatable=False),
            ],
        )
    )
    reg.register(malform_spec())
    return reg


test_registry.__test__ = False  # a helper, not a test
REGISTRY = test_registry()


def proposal(kind="sortering", confidence=0.8, value=None, explanation=None) -> Proposal:
    return Proposal(
        kind=kind,
        value=value or {"kategori": "vei"},
        confidence=confidence,
        explanation=explanation
        or {"summary": "Ordet «brøyting» peker mot vei.", "evidence": [{"rule": "brøyting"}]},
        model_name="test-modell",
        model_version="1",
        input_hash="ab" * 32,
        cpu_ms=1.5,
    )


@pytest.fixture
def env(mplatform):
    """A fresh tenant with a reviewer, on a platform shared by this module, using the test registry."""
    platform = mplatform
    platform.registry = REGISTRY
    t = fresh_tenant(platform)
    with platform.db.installation_session() as s:
        u = accounts.create_user(s, username=f"sb-{t}", password=None, actor="test").id
    with platform.db.tenant_session(t) as s:
        accounts.grant_role(s, t, s.get(User, u), "saksbehandler", actor="test")
        accounts.grant_role(s, t, s.get(User, u), "admin", actor="test")
    principal = Principal(user_id=u, tenant_id=t, roles=frozenset({"saksbehandler", "admin"}))
    return platform, t, principal


def _item(platform, t, data=b"Veien er ikke broytet.") -> int:
    with platform.db.tenant_session(t) as s:
        return items.ingest(
            s, platform.blobs, t, service="testtjeneste", kind="document", data=data, actor="test"
        ).item.id


def _suggest(platform, t, p: Proposal, item_id=None, service="testtjeneste") -> int:
    with platform.db.tenant_session(t) as s:
        return suggestions.suggest(s, platform.registry, t, service, p, item_id=item_id, actor="test").id


def _decide(platform, t, principal, sid, **kw):
    with platform.db.tenant_session(t) as s:
        d = suggestions.decide(s, platform.registry, principal, sid, **kw)
        return d.outcome, d.final_value, d.reason


def _events(platform, t, event):
    with platform.db.installation_session() as s:
        return [
            (e.subject_id, json.loads(e.data))
            for e in s.scalars(
                select(AuditEntry)
                .where(AuditEntry.chain == f"t{t}", AuditEntry.event == event)
                .order_by(AuditEntry.seq)
            )
        ]


# (outcome, final_value, reason, expected final value (None: the proposed one), why)
DECISIONS = [
    ("accepted", None, "", None, "accept keeps the proposed value; no reason needed"),
    (
        "changed",
        {"kategori": "skole"},
        "Gjelder skoleveien.",
        {"kategori": "skole"},
        "change stores the new value",
    ),
    ("rejected", None, "Feil tema.", "rejected", "reject stores no value"),
]


@pytest.mark.parametrize("outcome, final, reason, expected, why", DECISIONS, ids=[d[0] for d in DECISIONS])
def test_decide(env, outcome, final, reason, expected, why):
    platform, t, principal = env
    sid = _suggest(platform, t, proposal())
    out, value, stored_reason = _decide(
        platform, t, principal, sid, outcome=outcome, final_value=final, reason=reason
    )
    assert out == outcome
    if expected is None:
        assert value == {"kategori": "vei"}
    elif expected == "rejected":
        assert value is None
    else:
        assert value == expected
    with platform.db.tenant_session(t) as s:
        assert s.get(Suggestion, sid).status == outcome
    ((subject, data),) = _events(platform, t, "decision.made")
    assert data["outcome"] == outcome and data["automated"] is False and data["suggestion_id"] == sid
    assert data["reason_sha256"] == audit.sha256_text(reason.strip())  # the reason itself is not in the log


# (outcome, final_value, reason, why it is refused)
REFUSED = [
    ("changed", {"kategori": "skole"}, "", "a change needs a reason"),
    ("changed", {"kategori": "skole"}, "   ", "a blank reason is no reason"),
    ("changed", None, "Fordi.", "a change needs the new value"),
    ("changed", {}, "Fordi.", "an empty new value is no value"),
    ("rejected", None, "", "a rejection needs a reason"),
    ("changed", {"kategori": 7}, "Fordi.", "the new value must match the kind's value_schema (type)"),
    ("changed", {"tema": "skole"}, "Fordi.", "the new value must match the kind's value_schema (fields)"),
    ("maybe", None, "Fordi.", "unknown outcome"),
]


@pytest.mark.parametrize("outcome, final, reason, why", REFUSED, ids=[r[3] for r in REFUSED])
def test_decision_refused(env, outcome, final, reason, why):
    platform, t, principal = env
    sid = _suggest(platform, t, proposal())
    with pytest.raises(InvalidInput):
        _decide(platform, t, principal, sid, outcome=outcome, final_value=final, reason=reason)
    with platform.db.tenant_session(t) as s:  # nothing half-written
        assert s.get(Suggestion, sid).status == "pending"
        assert s.scalar(select(func.count()).select_from(Decision)) == 0
    assert _events(platform, t, "decision.made") == []


def test_deciding_twice_is_a_conflict(env):
    platform, t, principal = env
    sid = _suggest(platform, t, proposal())
    _decide(platform, t, principal, sid, outcome="accepted")
    with pytest.raises(Conflict):
        _decide(platform, t, principal, sid, outcome="rejected", reason="Ombestemte meg.")
    assert len(_events(platform, t, "decision.made")) == 1


def test_role_without_decide_right_is_refused(env):
    platform, t, principal = env
    sid = _suggest(platform, t, proposal())
    ombud = Principal(user_id=principal.user_id, tenant_id=t, roles=frozenset({"personvernombud"}))
    with pytest.raises(Forbidden):
        _decide(platform, t, ombud, sid, outcome="accepted")


def test_a_newer_suggestion_supersedes_a_pending_one_and_says_so(env):
    platform, t, principal = env
    item = _item(platform, t)
    first = _suggest(platform, t, proposal(confidence=0.6), item)
    decided = _suggest(platform, t, proposal(kind="vedtak", confidence=0.6), item)
    _decide(platform, t, principal, decided, outcome="accepted")
    second = _suggest(platform, t, proposal(confidence=0.7), item)
    with platform.db.tenant_session(t) as s:
        old = s.get(Suggestion, first)
        assert old.status == "superseded" and old.superseded_by_id == second
        assert old.value == {"kategori": "vei"}  # kept as it was: never silently replaced
        assert s.get(Suggestion, second).status == "pending"
        assert s.get(Suggestion, decided).status == "accepted"  # another kind, and decided: untouched
    assert _events(platform, t, "suggestion.superseded") == [(str(first), {"by": second})]
    with pytest.raises(Conflict):  # a superseded suggestion can no longer be decided
        _decide(platform, t, principal, first, outcome="accepted")


# (explanation, why it does not match the kind's schema)
BAD_EXPLANATIONS = [
    ({"evidence": [{"rule": "x"}]}, "no summary (base schema)"),
    ({"summary": "Mangler bevis."}, "no evidence (the kind's schema requires it)"),
    ({"summary": "x", "evidence": [{"regel": "x"}]}, "evidence item without its required field"),
    ({"summary": 42, "evidence": []}, "summary of the wrong type"),
    ({"summary": "x", "evidence": "brøyting"}, "evidence not a list"),
]


@pytest.mark.parametrize("explanation, why", BAD_EXPLANATIONS, ids=[b[1] for b in BAD_EXPLANATIONS])
def test_explanation_must_match_the_kinds_schema(env, explanation, why):
    platform, t, _ = env
    with pytest.raises(InvalidInput, match="skjemaet"):
        _suggest(platform, t, proposal(explanation=explanation))
    _nothing_recorded(platform, t)


BAD_VALUES = [
    ({"kategori": ""}, "an empty category (minLength)"),
    ({"kategori": "vei", "ekstra": 1}, "a field the schema does not allow"),
    ({"tema": "vei"}, "the required field missing"),
]


@pytest.mark.parametrize("number", [float("nan"), float("inf")], ids=["nan", "infinity"])
def test_a_value_that_is_no_json_is_refused(env, number):
    platform, t, _ = env
    with pytest.raises(InvalidInput, match="gyldig JSON"):
        _suggest(platform, t, proposal(value={"kategori": "vei", "vekt": number}))
    _nothing_recorded(platform, t)


@pytest.mark.parametrize("value, why", BAD_VALUES, ids=[b[1] for b in BAD_VALUES])
def test_value_must_match_the_kinds_value_schema(env, value, why):
    platform, t, _ = env
    with pytest.raises(InvalidInput, match="skjemaet"):
        _suggest(platform, t, proposal(value=value))
    _nothing_recorded(platform, t)


@pytest.mark.parametrize(
    "confidence", [-0.01, 1.01, 2, math.nan], ids=["negative", "above one", "two", "nan"]
)
def test_confidence_out_of_range_is_refused(env, confidence):
    platform, t, _ = env
    with pytest.raises(InvalidInput):
        _suggest(platform, t, proposal(confidence=confidence))
    _nothing_recorded(platform, t)


@pytest.mark.parametrize("service, kind", [("ukjent", "sortering"), ("testtjeneste", "ukjent")])
def test_unknown_service_or_kind_is_refused(env, service, kind):
    platform, t, _ = env
    with pytest.raises(InvalidInput):
        _suggest(platform, t, proposal(kind=kind), service=service)
    _nothing_recorded(platform, t)


def _nothing_recorded(platform, t):
    with platform.db.tenant_session(t) as s:
        assert s.scalar(select(func.count()).select_from(Suggestion)) == 0
    assert _events(platform, t, "suggestion.created") == []


def test_suggestion_is_recorded_with_model_input_hash_and_cpu_time(env):
    platform, t, _ = env
    sid = _suggest(platform, t, proposal())
    with platform.db.tenant_session(t) as s:
        row = s.get(Suggestion, sid)
        assert (row.model_name, row.model_version, row.input_hash, row.cpu_ms) == (
            "test-modell",
            "1",
            "ab" * 32,
            1.5,
        )
    ((subject, data),) = _events(platform, t, "suggestion.created")
    assert subject == str(sid) and data["value_sha256"] == audit.sha256_text({"kategori": "vei"})
    assert "brøyting" not in json.dumps(data, ensure_ascii=False)  # the explanation is only hashed


# --- automation policies --------------------------------------------------------------------------


def _policy(platform, t, principal, kind, enabled=True, threshold=0.9, service="testtjeneste"):
    with platform.db.tenant_session(t) as s:
        return accounts.set_policy(
            s,
            platform.registry,
            t,
            service=service,
            kind=kind,
            enabled=enabled,
            threshold=threshold,
            principal=principal,
        ).id


def _status(platform, t, sid):
    with platform.db.tenant_session(t) as s:
        return s.get(Suggestion, sid).status


def test_automation_is_off_by_default(env):
    platform, t, _ = env
    sid = _suggest(platform, t, proposal(confidence=1.0))
    assert _status(platform, t, sid) == "pending"
    with platform.db.tenant_session(t) as s:
        pols = {(p["service"], p["kind"]): p for p in accounts.list_policies(s, platform.registry)}
    assert not any(p["enabled"] for p in pols.values())
    assert pols[("testtjeneste", "vedtak")]["automatable"] is False


def test_automation_cannot_be_enabled_for_a_non_automatable_kind(env):
    platform, t, principal = env
    with pytest.raises(Forbidden):
        _policy(platform, t, principal, "vedtak")
    # switching it off (or leaving it off) is always allowed
    _policy(platform, t, principal, "vedtak", enabled=False)
    sid = _suggest(platform, t, proposal(kind="vedtak", confidence=1.0))
    assert _status(platform, t, sid) == "pending"


@pytest.mark.parametrize("threshold", [0.2, 1.5], ids=["too low", "above one"])
def test_policy_threshold_out_of_range_is_refused(env, threshold):
    platform, t, principal = env
    with pytest.raises(InvalidInput):
        _policy(platform, t, principal, "sortering", threshold=threshold)


# (confidence, expected status, why) with the policy's threshold at 0.9
AUTOMATION = [
    (0.95, "accepted", "above the threshold: decided by the policy"),
    (0.9, "accepted", "exactly at the threshold counts as at/above"),
    (0.89, "pending", "below the threshold: a person decides"),
]


@pytest.mark.parametrize("confidence, expected, why", AUTOMATION, ids=[a[2][:20] for a in AUTOMATION])
def test_enabled_policy_decides_at_or_above_its_threshold(env, confidence, expected, why):
    platform, t, principal = env
    policy_id = _policy(platform, t, principal, "sortering", threshold=0.9)
    sid = _suggest(platform, t, proposal(confidence=confidence))
    assert _status(platform, t, sid) == expected
    made = _events(platform, t, "decision.made")
    if expected == "pending":
        assert made == []
        return
    ((_, data),) = made
    assert data["automated"] is True and data["policy_id"] == policy_id and data["suggestion_id"] == sid
    with platform.db.tenant_session(t) as s:
        d = s.scalar(select(Decision).where(Decision.suggestion_id == sid))
        assert d.actor_policy_id == policy_id and d.actor_user_id is None
        assert (
            suggestions.suggestion_dict(s.get(Suggestion, sid))["decision"]["actor"] == f"policy:{policy_id}"
        )
    with platform.db.installation_session() as s:
        actors = set(
            s.scalars(
                select(AuditEntry.actor).where(
                    AuditEntry.event == "decision.made", AuditEntry.chain == f"t{t}"
                )
            )
        )
    assert actors == {f"policy:{policy_id}"}


def test_disabled_policy_decides_nothing(env):
    platform, t, principal = env
    _policy(platform, t, principal, "sortering", threshold=0.9)
    _policy(platform, t, principal, "sortering", enabled=False, threshold=0.9)
    assert _status(platform, t, _suggest(platform, t, proposal(confidence=0.99))) == "pending"
    assert [d["enabled"] for _, d in _events(platform, t, "policy.changed")] == [True, False]


def test_real_malform_service_through_the_same_contract(env):
    platform, t, principal = env
    _policy(platform, t, principal, "malform", service="malform", threshold=0.5)
    p = malform_engine.suggest_malform(
        "Eg lurer på kva tid vegen blir brøyta, og kvifor det tek så lang tid."
    )
    assert p.confidence >= 0.5
    sid = _suggest(platform, t, p, service="malform")
    assert _status(platform, t, sid) == "accepted"
    with pytest.raises(InvalidInput):  # the målform schema requires language_score evidence
        _suggest(platform, t, proposal(kind="malform"), service="malform")


def test_api_refuses_automation_for_non_automatable_kind(env):
    """Through the API: 403 in the error shape for the non-automatable kind, 200 for the other."""
    from kommuneki.web.app import create_app

    platform, t, principal = env
    with platform.db.tenant_session(t) as s:
        _row, token = accounts.create_token(s, t, s.get(User, principal.user_id), "test", actor="test")
    with TestClient(create_app(platform=platform), headers={"Authorization": f"Bearer {token}"}) as c:
        r = c.put("/api/v1/policies/testtjeneste/vedtak", json={"enabled": True, "threshold": 0.9})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = c.put("/api/v1/policies/testtjeneste/sortering", json={"enabled": True, "threshold": 0.9})
        assert r.status_code == 200 and r.json()["enabled"] is True
        r = c.put("/api/v1/policies/testtjeneste/ukjent", json={"enabled": True, "threshold": 0.9})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    "queue_filter",
    [
        suggestions.QueueFilter(limit=3),
        suggestions.QueueFilter(limit=2, offset=3),
        suggestions.QueueFilter(min_confidence=0.5, kind="sortering"),
        suggestions.QueueFilter(status="all", max_confidence=0.55),
    ],
    ids=["first-page", "second-page", "confidence-and-kind", "all-statuses"],
)
def test_queue_listing_reads_the_same_rows_as_the_entities(env, queue_filter):
    """queue_listing reads columns, not entities: same rows, order, total and tenant scope as list_queue."""
    platform, t, principal = env
    other = fresh_tenant(platform)
    _suggest(platform, other, proposal(confidence=0.9))  # another tenant's: never listed here
    ids = [_suggest(platform, t, proposal(confidence=c)) for c in (0.3, 0.5, 0.6, 0.8, 0.9, 0.4)]
    _decide(platform, t, principal, ids[2], outcome="accepted")
    with platform.db.read_session(t) as s:
        entities, total = suggestions.list_queue(s, queue_filter)
        rows, listed_total = suggestions.queue_listing(s, queue_filter)
    expected = [suggestions.suggestion_dict(e, with_decision=False) for e in entities]
    assert rows == expected and listed_total == total
    assert {r["id"] for r in rows} <= set(ids)
    everything = suggestions.QueueFilter(**{**vars(queue_filter), "limit": 500, "offset": 0})
    with platform.db.read_session(t) as s:
        assert total == len(suggestions.queue_listing(s, everything)[0])
    if queue_filter.status == "pending" and not queue_filter.min_confidence:
        assert total == 5  # six suggested, one accepted


@pytest.mark.parametrize(
    "queue_filter",
    [
        suggestions.QueueFilter(limit=3),
        suggestions.QueueFilter(limit=2, offset=3),
        suggestions.QueueFilter(min_confidence=0.5, kind="sortering"),
        suggestions.QueueFilter(status="all", max_confidence=0.55),
    ],
    ids=["first-page", "second-page", "confidence-and-kind", "all-statuses"],
)
def test_queue_listing_body_is_the_listing_as_json(env, queue_filter):
    """The API's body splices value and explanation in as stored JSON text: parsed back, it is exactly
    queue_listing's rows and total (non-ASCII text, nested lists, a null item), tenant scope kept."""
    platform, t, principal = env
    other = fresh_tenant(platform)
    _suggest(platform, other, proposal(confidence=0.9))  # another tenant's: never listed here
    explanation = {"summary": 'Ærlig «sitat» – ø/å \\ "', "evidence": [{"rule": "brøyting", "w": [1, 2.5]}]}
    ids = [_suggest(platform, t, proposal(confidence=c, explanation=explanation)) for c in (0.3, 0.5, 0.6)]
    ids += [_suggest(platform, t, proposal(confidence=c), item_id=_item(platform, t)) for c in (0.8, 0.4)]
    _decide(platform, t, principal, ids[2], outcome="accepted")
    with platform.db.read_session(t) as s:
        rows, total = suggestions.queue_listing(s, queue_filter)
        body = suggestions.queue_listing_body(s, queue_filter)
    assert json.loads(body) == {
        "total": total,
        "limit": queue_filter.limit,
        "offset": queue_filter.offset,
        "items": rows,
    }
    assert rows  # every filter above lists something
