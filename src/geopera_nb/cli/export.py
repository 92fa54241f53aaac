"""``geopera-nb export``: coverage of orders to GeoPackage/GeoParquet; asset downloads.

Examples
--------
``geopera-nb export coverage ORDER_ID ORDER_ID --out coverage.gpkg``
``geopera-nb export coverage ORDER_ID --out coverage.parquet`` (``coverage.<layer>.parquet``)
``geopera-nb export download ORDER_ID --dest imagery --assets visual,thumbnail``
"""

from __future__ import annotations

from pathlib import Path

import click

from geopera_nb.cli.frames import client_options, friendly_errors, make_client


@click.group(name="export")
def command() -> None:
    """Export coverage of orders to GeoPackage/GeoParquet; download delivered assets."""


@command.command(name="coverage")
@click.argument("order_ids", nargs=-1, required=True)
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path),
              help="coverage.gpkg (one GeoPackage), coverage.parquet "
                   "(coverage.<layer>.parquet files) or a directory.")
@click.option("--format", "format_", type=click.Choice(["gpkg", "parquet"]), default=None,
              help="Override the format the --out suffix implies.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Orders fetched at once.")
@client_options
@friendly_errors
def coverage(order_ids: tuple[str, ...], out: Path, format_: str | None, concurrency: int,
             api_url: str | None, profile: str | None) -> None:
    """Write layers requested, covered, remainder, groups and assets of the orders."""
    from geopera_nb.export.coverage import export_coverage

    with make_client(api_url, profile) as client:
        written = export_coverage(client, list(order_ids), out, format=format_,  # type: ignore[arg-type]
                                  concurrency=concurrency)
    for layer, path in written.items():
        click.echo(f"{layer}\t{path}")


@command.command(name="download")
@click.argument("order_ids", nargs=-1, required=True)
@click.option("--dest", "-d", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory; files go to DEST/<item id>/<name>.")
@click.option("--assets", default="visual,thumbnail,metadata", show_default=True,
              help="Comma-separated asset keys.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--overwrite", is_flag=True, help="Download again even verified files.")
@click.option("--progress/--no-progress", default=True, show_default=True)
@client_options
@friendly_errors
def download(order_ids: tuple[str, ...], dest: Path, assets: str, concurrency: int,
             overwrite: bool, progress: bool, api_url: str | None, profile: str | None) -> None:
    """Download the orders' delivered assets (checksum-verified, resumable)."""
    from geopera_nb.export.download import download_assets
    from geopera_nb.frames import assets_frame

    with make_client(api_url, profile) as client:
        frame = assets_frame(client, list(order_ids))
    report = download_assets(frame, dest, assets=[a for a in assets.split(",") if a],
                             concurrency=concurrency, overwrite=overwrite, progress=progress)
    counts = report["status"].value_counts().to_dict()
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to download")
