"""Schemathesis over the app's own OpenAPI document, in process (ASGI): every operation, positive and
negative cases, with a fixed Hypothesis budget. Shared by the CI test (tests/web/test_schemathesis.py)
and the larger run (bench/schemathesis_run.py).

The calls carry an administrator's bearer token (the widest rights in the tenant), so writes reach the
code behind the checks. A case that revokes that token (``DELETE /tokens/{id}`` hitting it) gets a
fresh one for the cases after it. What counts as a failure: any status of 500 or more."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

# argon2 on every login attempt (unknown users included, by design): fewer examples there
FEWER_EXAMPLES = {"POST /api/v1/auth/login": 5}


@dataclass
class FuzzResult:
    cases: int = 0
    operations: int = 0
    seconds: float = 0.0
    server_errors: list[tuple[str, int, str]] = field(default_factory=list)  # (operation, status, body)

    @property
    def unique_server_errors(self) -> set[tuple[str, int]]:
        return {(label, status) for label, status, _ in self.server_errors}


def fuzz(app, token: Callable[[], str], *, examples: int, modes=("positive", "negative")) -> FuzzResult:
    """Run ``examples`` derandomized cases per operation and generation mode. ``token()`` gives a valid
    bearer token (called again when a case revoked the last one)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    result = FuzzResult()
    bearer = {"value": token()}
    start = time.perf_counter()
    for found in schema.get_all_operations():
        operation = found.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label.endswith("/openapi.json"):
            continue
        result.operations += 1
        budget = FEWER_EXAMPLES.get(label, examples)
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=GenerationMode(mode))
            try:
                _run(strategy, label, budget, bearer, token, result)
            except Unsatisfiable:
                pass  # no negative case exists (an operation without parameters or body)
    result.seconds = time.perf_counter() - start
    return result


def _run(
    strategy, label: str, budget: int, bearer: dict, token: Callable[[], str], result: FuzzResult
) -> None:
    @settings(
        max_examples=budget,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def one(case):
        result.cases += 1
        response = case.call(headers={"Authorization": f"Bearer {bearer['value']}"})
        if response.status_code == 401:  # this or an earlier case revoked the token
            bearer["value"] = token()
            response = case.call(headers={"Authorization": f"Bearer {bearer['value']}"})
        if response.status_code >= 500:
            result.server_errors.append((label, response.status_code, response.text[:300]))

    one()
