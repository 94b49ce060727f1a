from __future__ import annotations

import datetime as dt
import math

import pytest

from kommuneki.services.bemanning.engine.errors import InputError
from kommuneki.services.bemanning.engine.history import parse_mapping, read_history


def test_semicolon_decimal_comma_bom_and_dates_out_of_order():
    data = "\ufeffdate;unit;absent;staff\n2025-01-03;B;2,5;10\n2025-01-01;A;1;8\n2025-01-03;A;3;8\n".encode()
    h = read_history(data)
    assert h.units == ["B", "A"]  # order of first appearance
    assert h.start == dt.date(2025, 1, 1) and h.end == dt.date(2025, 1, 3)
    assert h.absent[0, 2] == 2.5 and h.absent[1, 0] == 1 and h.absent[1, 2] == 3
    assert math.isnan(h.absent[1, 1])  # a missing day is unknown, not zero
    assert h.staff[0, 2] == 10


def test_excel_serial_dates_and_a_mapping():
    data = "Dato,Avdeling,Syke\n45658,Sone 1,4\n45659,Sone 1,5\n".encode()
    h = read_history(data, parse_mapping(b'{"date": "Dato", "unit": "Avdeling", "absent": "Syke"}'))
    assert h.start == dt.date(2025, 1, 1) and list(h.absent[0]) == [4, 5]


def test_a_mapping_that_names_a_missing_column():
    with pytest.raises(InputError, match="«Fravær».*ingen slik kolonne"):
        read_history(b"date,unit,syke\n2025-01-01,A,1\n", {"absent": "Fravær"})


def test_every_bad_row_is_named_and_nothing_is_read():
    data = b"date,unit,absent\n2025-01-01,A,1\n2025-13-01,A,1\n2025-01-02,A,mange\n2025-01-03,A,-1\n"
    with pytest.raises(InputError) as caught:
        read_history(data)
    message = caught.value.message
    assert "3 feil, ingenting er lest" in message
    assert "Linje 3" in message and "Linje 4" in message and "Linje 5" in message


def test_a_day_given_twice_with_different_numbers():
    with pytest.raises(InputError, match="to ganger"):
        read_history(b"date,unit,absent\n2025-01-01,A,1\n2025-01-01,A,2\n")


def test_missing_columns_and_empty_file():
    with pytest.raises(InputError, match="mangler kolonnene absent"):
        read_history(b"date,unit\n2025-01-01,A\n")
    with pytest.raises(InputError, match="tom"):
        read_history(b"")
