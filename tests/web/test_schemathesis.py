"""Schemathesis against the app's OpenAPI in CI: every operation, about 25 derandomized examples per
operation (positive and negative cases), zero 500s (issue 12: it found 12 unique ones in 10,331 cases).
SQLite only here, to stay within the CI budget; bench/schemathesis_run.py runs a larger budget on both
databases."""

from __future__ import annotations

import pytest

from tests.conftest import require
from tests.core.world import _module_platform, _token, build_world

try:
    import schemathesis  # noqa: F401
except ImportError:  # pragma: no cover - the test extra installs it
    schemathesis = None


@pytest.fixture(scope="module", params=["sqlite"])
def fuzz_world(request, tmp_path_factory):
    w = build_world(_module_platform(request, tmp_path_factory))
    yield w
    w.close()


def test_no_operation_answers_500(fuzz_world):
    require(schemathesis is not None, "schemathesis", "pip install -e '.[test]'")
    from tests.web.fuzz_api import fuzz

    w = fuzz_world

    def admin_token() -> str:
        return _token(w.platform, w.a, w.users["admin"], "schemathesis")[1]

    result = fuzz(w.app, admin_token, examples=13)  # x2 modes: about 25 per operation
    # operations with few possible inputs run out of cases before the budget
    assert result.operations >= 25 and result.cases >= 10 * result.operations
    assert not result.server_errors, sorted(result.unique_server_errors)
