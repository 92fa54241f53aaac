"""Generate the operations table of the README from the contract (never typed by hand).

Run ``python -m geopera_nb.contract.docs`` to print the table, or ``--write README.md``
to replace the block between the ``<!-- operations:begin -->`` and
``<!-- operations:end -->`` markers. ``tests/contract/test_readme_table.py`` fails when
the README's table differs from the generated one.

Examples
--------
>>> from geopera_nb.contract.docs import operations_table
>>> operations_table().splitlines()[0]
'| Operation | Python | Scope | Side effect | Success |'
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from .operations import OPERATIONS

BEGIN = "<!-- operations:begin -->"
END = "<!-- operations:end -->"


def operations_table() -> str:
    """Return the Markdown table of every operation, in the contract's order."""
    rows = [
        "| Operation | Python | Scope | Side effect | Success |",
        "|---|---|---|---|---|",
    ]
    for op in sorted(OPERATIONS, key=lambda o: o.id):
        python = "client." + ".".join(op.attribute_path) + "(…)"
        effect = op.side_effect + (" (Idempotency-Key)" if op.spends else "")
        rows.append(
            f"| `{op.id}` | `{python}` | `{op.scope}` | {effect} | {op.success_status} |"
        )
    return "\n".join(rows)


def replace_block(text: str, table: str) -> str:
    """Return ``text`` with the block between the markers replaced by ``table``."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"markers {BEGIN} ... {END} not found")
    return pattern.sub(lambda _: f"{BEGIN}\n{table}\n{END}", text)


def main(argv: list[str] | None = None) -> None:
    """Print the table, or write it into a file between the markers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", type=Path, help="file whose marked block to replace")
    args = parser.parse_args(argv)
    table = operations_table()
    if args.write is None:
        print(table)
        return
    args.write.write_text(replace_block(args.write.read_text(encoding="utf-8"), table), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
