"""The README's operations table is generated from the contract, never typed."""

from __future__ import annotations

from pathlib import Path

from geopera_nb.contract.docs import operations_table, replace_block

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_operations_table_is_generated() -> None:
    text = README.read_text(encoding="utf-8")
    assert replace_block(text, operations_table()) == text, (
        "README operations table is stale: run python -m geopera_nb.contract.docs --write README.md"
    )


def test_table_lists_every_operation_once() -> None:
    table = operations_table()
    from geopera_nb.contract import OPERATIONS

    for op in OPERATIONS:
        assert table.count(f"| `{op.id}` |") == 1
