"""Numbers typed into the change form of a suggestion."""

from __future__ import annotations

import pytest

from kommuneki.core.errors import InvalidInput
from kommuneki.web.pages.suggestions import _coerce


@pytest.mark.parametrize("raw, expected", [("1,5", 1.5), ("2000000", 2_000_000.0), ("-0.25", -0.25)])
def test_decimal_comma_and_point(raw, expected):
    assert _coerce(raw, "float") == expected


@pytest.mark.parametrize("raw", ["nan", "inf", "-Infinity", "abc", ""])
def test_what_is_no_finite_number_is_refused_in_norwegian(raw):
    with pytest.raises(InvalidInput, match="ikke et gyldig tall"):
        _coerce(raw, "float")
