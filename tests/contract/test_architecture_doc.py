"""docs/architecture.md's map of operations and its module index are generated, not typed."""

from __future__ import annotations

from pathlib import Path

from geopera_nb.contract.docs import refresh, where_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_architecture_doc_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert refresh(text) == text, (
        "docs/architecture.md is stale: run "
        "python -m geopera_nb.contract.docs --write docs/architecture.md")


def test_every_operation_has_a_server_handler() -> None:
    assert "| `—` |" not in where_table().replace("| — |", "")
