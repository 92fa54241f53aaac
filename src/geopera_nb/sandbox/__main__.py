"""``python -m geopera_nb.sandbox [serve options]``: the sandbox server as a process."""

from __future__ import annotations

from geopera_nb.cli.sandbox import serve

if __name__ == "__main__":
    serve(prog_name="python -m geopera_nb.sandbox")
