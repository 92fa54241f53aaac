"""Fetch the vendored browser files again from the npm registry (a build-time step).

Run ``python -m geopera_nb.vendor.refresh`` after changing a version in
:data:`geopera_nb.vendor.VENDORED`; it calls ``npm pack`` (the npm registry is reachable
at build time, never needed at run time) and rewrites the files beside this module.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from geopera_nb.vendor import VENDORED, path_of


def refresh(names: list[str] | None = None) -> list[Path]:
    """Download each package once with ``npm pack`` and write the named members."""
    wanted = names or sorted(VENDORED)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        tarballs: dict[str, Path] = {}
        for name in wanted:
            entry = VENDORED[name]
            if entry.spec not in tarballs:
                out = subprocess.run(["npm", "pack", "--silent", entry.spec], cwd=tmp,
                                     check=True, capture_output=True, text=True).stdout
                tarballs[entry.spec] = Path(tmp) / out.strip().splitlines()[-1]
            with tarfile.open(tarballs[entry.spec]) as tar:
                member = tar.extractfile(f"package/{entry.member}")
                if member is None:
                    raise FileNotFoundError(f"{entry.member} not in {entry.spec}")
                data = member.read()
            target = path_of(name)
            target.write_bytes(gzip.compress(data, 9, mtime=0) if entry.gzipped else data)
            written.append(target)
    return written


if __name__ == "__main__":
    for path in refresh(sys.argv[1:] or None):
        print(path)
