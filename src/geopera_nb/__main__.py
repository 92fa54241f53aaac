"""``python -m geopera_nb ...``: the ``geopera-nb`` command (what ``spawn`` runs)."""

from __future__ import annotations

from geopera_nb.cli.main import main

if __name__ == "__main__":
    main()
