"""Dtype names of the frame schemas and conversion of values to them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

CRS = "EPSG:4326"
STRING = "string"
INT = "Int64"
FLOAT = "Float64"
BOOL = "boolean"
DATETIME = "datetime64[ms, UTC]"
OBJECT = "object"


def pandas_dtype(dtype: str) -> Any:
    """The pandas dtype object for a schema dtype string."""
    return pd.api.types.pandas_dtype(dtype)


def empty_series(dtype: str, length: int = 0) -> pd.Series:
    """A series of ``length`` missing values of ``dtype``."""
    if dtype == OBJECT:
        return pd.Series([None] * length, dtype=object)
    return pd.Series(pd.array([None] * length, dtype=pandas_dtype(dtype)))


def as_dtype(values: Any, dtype: str) -> pd.Series:
    """Convert ``values`` (list, array or Series) to a Series of ``dtype``.

    Datetimes are parsed as ISO 8601 and converted to UTC; text columns become
    ``"string"``; numbers become nullable ``Int64``/``Float64``.

    Examples
    --------
    >>> as_dtype(["2026-12-01T00:00:00.000Z", None], "datetime64[ms, UTC]").iloc[0]
    Timestamp('2026-12-01 00:00:00+0000', tz='UTC')
    >>> as_dtype([1, None], "Int64").tolist()
    [1, <NA>]
    """
    if dtype == OBJECT:
        if isinstance(values, pd.Series):
            return values.astype(object).reset_index(drop=True)
        holder = np.empty(len(values), dtype=object)
        holder[:] = list(values)
        return pd.Series(holder, dtype=object)
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    series = series.reset_index(drop=True)
    if dtype == DATETIME:
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            return series.dt.tz_convert("UTC").astype(pandas_dtype(DATETIME))
        parsed = pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")
        return parsed.astype(pandas_dtype(DATETIME))
    if dtype == STRING:
        if series.dtype == object:
            series = series.map(_as_text)
        return series.astype(pandas_dtype(STRING))
    if dtype in (INT, FLOAT):
        if series.dtype == object:
            series = pd.to_numeric(series, errors="coerce")
        if dtype == INT and series.dtype.kind == "f":
            series = series.round()
        return series.astype(pandas_dtype(dtype))
    return series.astype(pandas_dtype(dtype))


def _as_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and np.isnan(value):
        return None
    return str(value)
