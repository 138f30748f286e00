import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from multiaug.tabular.tagged import UnsupportedValue, from_json, same_value, to_json

VALUES = [
    "a", 1, True, False, None, 1.5, -0.0, float("nan"), float("inf"), 2**70,
    ("g", 1), ("g", (1.0, None)), (),
    np.int64(3), np.uint8(7), np.float32(0.1), np.float64("nan"), np.bool_(True), np.str_("s"),
    np.datetime64("2020-01-02T03:04:05.123456789", "ns"), np.timedelta64(5, "s"),
    Decimal("1.0"), Decimal("NaN"), b"\x00bytes",
    pd.Timestamp("2020-01-01 12:00"), pd.Timestamp("2020-03-29 02:30", tz="UTC"),
    pd.Timestamp("2020-06-01", tz="Europe/Paris"), pd.Timestamp("2020-01-01 00:00:00.000000001"),
    pd.Timestamp("2020-01-01", tz=dt.timezone(dt.timedelta(hours=-3))),
    pd.Timedelta(1, unit="D"), pd.Period("2020-01", freq="M"), pd.NaT, pd.NA,
    dt.datetime(2020, 1, 2, 3, 4, 5, 6), dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc), dt.date(2020, 1, 2),
    dt.time(1, 2, 3), dt.timedelta(days=1, seconds=2, microseconds=3),
]


@pytest.mark.parametrize("v", VALUES, ids=[f"{type(v).__name__}-{i}" for i, v in enumerate(VALUES)])
def test_values_read_back_as_the_same_type_and_value(v):
    back = from_json(json.loads(json.dumps(to_json(v), allow_nan=False)))
    assert type(back) is type(v) and same_value(back, v)
    if isinstance(v, np.generic):
        assert back.dtype == v.dtype


def test_json_native_values_are_written_as_they_are():
    assert [to_json(v) for v in ("a", 1, True, None, 1.5)] == ["a", 1, True, None, 1.5]
    # JSON keeps 1, 1.0 and true apart
    assert [type(v) for v in json.loads(json.dumps([to_json(1), to_json(1.0), to_json(True)]))] == [int, float, bool]


@pytest.mark.parametrize("v", [object(), [1, 2], {"a": 1}, np.complex128(1j), 1j, frozenset({1}),
                               dt.datetime(2020, 1, 1, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Paris"))])
def test_other_values_raise_unsupported(v):
    with pytest.raises(UnsupportedValue):
        to_json(v)


def test_same_value_tells_equal_values_of_other_types_apart():
    assert not same_value(1, True) and not same_value(1, 1.0) and not same_value(0.0, -0.0)
    assert not same_value(Decimal("1.0"), Decimal("1")) and same_value(float("nan"), float("nan"))
    assert not same_value(pd.Timestamp("2020", tz="UTC"), pd.Timestamp("2020", tz="Europe/London"))
