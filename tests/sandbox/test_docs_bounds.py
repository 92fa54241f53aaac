"""``docs/api-shapes.md`` "Bounds" names every bound of ``geopera_nb.contract.limits``."""

from __future__ import annotations

import re
from pathlib import Path

from geopera_nb.contract import limits

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-shapes.md"


def _bounds_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("\n## Bounds\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_every_bound_is_documented_with_its_answer() -> None:
    section = _bounds_section()
    names = [n for n in vars(limits) if n.isupper() and not n.startswith("_")]
    assert len(names) > 50
    missing = [n for n in names if f"`{n}`" not in section and f"`{n}` =" not in section]
    assert not missing, f"docs/api-shapes.md 'Bounds' does not list: {missing}"


def test_documented_values_match_the_module() -> None:
    """Where the table gives a plain integer value, it is the module's value."""
    section = _bounds_section()
    for name, value in re.findall(r"`([A-Z_]+)` = ([0-9][0-9,]*)(?![0-9.^]| [KMG]iB| days)", section):
        actual = getattr(limits, name)
        if isinstance(actual, int) and not isinstance(actual, bool):
            assert int(value.replace(",", "")) == actual, (name, value, actual)
