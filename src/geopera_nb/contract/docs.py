"""Generated documentation: never typed by hand, checked by tests.

- the README's operations table, from the contract (``<!-- operations:begin -->`` ...);
- ``docs/architecture.md``'s map of where each operation lives in the client, the server
  and the frames (``<!-- where:begin -->``), and its one line per module
  (``<!-- modules:begin -->``), read from the source with :mod:`ast` (nothing is
  imported, so this module stays in the bottom layer).

Run ``python -m geopera_nb.contract.docs --write README.md --write docs/architecture.md``
to refresh the blocks; ``tests/contract/test_readme_table.py`` and
``tests/contract/test_architecture_doc.py`` fail when a block is stale.

Examples
--------
>>> from geopera_nb.contract.docs import operations_table
>>> operations_table().splitlines()[0]
'| Operation | Python | Scope | Side effect | Success |'
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from .operations import OPERATIONS

BEGIN = "<!-- operations:begin -->"
END = "<!-- operations:end -->"
#: The package's source directory.
SRC = Path(__file__).resolve().parents[1]


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


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_index(src: Path = SRC) -> str:
    """One line per module: its dotted name and the first line of its docstring."""
    lines = []
    for path in sorted(src.rglob("*.py")):
        doc = ast.get_docstring(_tree(path)) or ""
        first = " ".join(doc.strip().split("\n\n")[0].split()) if doc else "(no docstring)"
        lines.append(f"- `{_module_name(path)}`: {first}")
    return "\n".join(lines)


def _server_handlers(src: Path) -> dict[str, str]:
    """Operation id -> ``service.module.function`` from the server's registry table."""
    tree = _tree(src / "server" / "service" / "registry.py")
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict):
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Attribute):
                    name = f"server.service.{ast.unparse(value)}"
                    out[str(key.value)] = (out[str(key.value)] + " + " + name
                                           if str(key.value) in out else name)
    return out


def _frames(src: Path) -> dict[str, list[str]]:
    """Operation id -> the public frame functions whose bodies name it."""
    ids = {op.id for op in OPERATIONS}
    out: dict[str, list[str]] = {}
    for path in sorted((src / "frames").glob("*.py")):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                named = {n.value for n in ast.walk(node)
                         if isinstance(n, ast.Constant) and n.value in ids}
                for op_id in named:
                    out.setdefault(str(op_id), []).append(f"frames.{path.stem}.{node.name}")
    return out


def where_table(src: Path = SRC) -> str:
    """Where each operation lives: its client attribute, server handler and frames."""
    handlers, frames = _server_handlers(src), _frames(src)
    rows = ["| Operation | Client | Server (handler) | Frames |", "|---|---|---|---|"]
    for op in sorted(OPERATIONS, key=lambda o: o.id):
        client = "client." + ".".join(op.attribute_path)
        frame = ", ".join(f"`{f}`" for f in sorted(frames.get(op.id, []))) or "—"
        rows.append(f"| `{op.id}` | `{client}` | `{handlers.get(op.id, '—')}` | {frame} |")
    return "\n".join(rows)


#: block name -> the function that generates it
BLOCKS = {"operations": operations_table, "where": where_table, "modules": module_index}


def replace_block(text: str, table: str, name: str = "operations") -> str:
    """Return ``text`` with the block between the ``name`` markers replaced by ``table``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"markers {begin} ... {end} not found")
    return pattern.sub(lambda _: f"{begin}\n{table}\n{end}", text)


def refresh(text: str) -> str:
    """Every generated block present in ``text``, regenerated."""
    for name, make in BLOCKS.items():
        if f"<!-- {name}:begin -->" in text:
            text = replace_block(text, make(), name)
    return text


def main(argv: list[str] | None = None) -> None:
    """Print the operations table, or refresh the generated blocks of files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", type=Path, action="append", default=[],
                        help="file whose generated blocks to refresh (repeatable)")
    args = parser.parse_args(argv)
    if not args.write:
        print(operations_table())
        return
    for path in args.write:
        path.write_text(refresh(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
