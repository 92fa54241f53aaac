"""``geopera-nb demo``: the main job (see :mod:`geopera_nb.mainjob`).

Runs the tasking workflow notebook headless on the embedded sandbox (or on the account
in ``GEOPERA_API_URL`` / ``GEOPERA_API_TOKEN``), writes ``coverage.gpkg``, the executed
notebooks and their HTML reports (maps that render with no network, and a plot of
coverage and money over time: :mod:`geopera_nb.report`) into ``--out``, and prints a
summary read back from the API.
"""

from __future__ import annotations

from pathlib import Path

import click

from geopera_nb.mainjob import DEFAULT_NOTEBOOKS, run_main_job


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out"), show_default=True, help="Output directory.")
@click.option("--notebook", "notebooks", multiple=True, default=DEFAULT_NOTEBOOKS,
              show_default=True,
              help="Notebook to run: a path, or a name in notebooks/ (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the embedded sandbox (ignored for a real account).")
@click.option("--cell-timeout", type=int, default=900, show_default=True,
              help="Seconds one notebook cell may take.")
def command(out_dir: Path, notebooks: tuple[str, ...], seed: int, cell_timeout: int) -> None:
    """Run the main job: the tasking notebook on the sandbox, coverage.gpkg out."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    try:
        summary = run_main_job(out_dir, notebooks, seed=seed, cell_timeout=cell_timeout,
                               echo=lambda line: click.echo(line, err=True))
    except (CellExecutionError, CellTimeoutError) as exc:
        raise click.ClickException(
            f"a notebook cell failed (executed copy in {out_dir}/):\n{exc}") from exc
    click.echo(summary.render())
