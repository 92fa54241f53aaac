"""``geopera-nb frames``: API results as GeoPackage / GeoParquet (or JSON on stdout).

Examples
--------
``geopera-nb frames orders --status PLACED,FULFILLED --out orders.gpkg``
``geopera-nb frames coverage-groups ORDER_ID ORDER_ID --out groups.parquet``
``geopera-nb frames sensors`` (NDJSON on stdout)

Credentials are found as the official ``geopera`` CLI finds them (``GEOPERA_API_URL``,
``GEOPERA_API_TOKEN``, ``GEOPERA_PROFILE``, ``~/.config/geopera/credentials.json``);
``--api-url`` and ``--profile`` override. Failures print one line and exit non-zero
(1: API/runtime error, 2: bad usage).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def client_options(fn: F) -> F:
    """Add ``--api-url`` and ``--profile`` to a command."""
    fn = click.option("--profile", default=None,
                      help="Credentials profile (default: $GEOPERA_PROFILE or 'default').")(fn)
    fn = click.option("--api-url", default=None,
                      help="API base URL (default: $GEOPERA_API_URL or the profile's).")(fn)
    return fn


def make_client(api_url: str | None, profile: str | None) -> Any:
    """A ``geopera_nb.client.Client`` with the CLI's credentials."""
    from geopera_nb.client import Client

    return Client(base_url=api_url, profile=profile)


def friendly_errors(fn: F) -> F:
    """Turn library errors into one clear line (exit 1), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from geopera_nb.errors import GeoperaError

        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except (GeoperaError, OSError, ValueError, KeyError) as exc:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            message = lines[0] if lines else type(exc).__name__
            if len(lines) > 1:
                message += f" ({lines[1]}{', ...' if len(lines) > 2 else ''})"
            raise click.ClickException(message) from None

    return wrapper  # type: ignore[return-value]


def emit(frame: Any, out: Path | None, layer: str) -> None:
    """Write ``frame`` to ``out`` (GeoPackage layer / GeoParquet) or NDJSON on stdout."""
    if out is None:
        _ndjson_stdout(frame)
        return
    from geopera_nb.export.writers import write_frame

    written = write_frame(frame, out, layer)
    click.echo(f"wrote {len(frame)} rows to {written} (layer {layer})", err=True)


def _ndjson_stdout(frame: Any) -> None:
    import orjson

    from geopera_nb.export.layers import prepare_columns

    geometry_name = getattr(frame, "_geometry_column_name", None)
    prepared = prepare_columns(frame, keep_lists=True)
    columns = [c for c in prepared.columns if c != geometry_name]
    out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    for i in range(len(prepared)):
        record = {c: _plain(prepared[c].iloc[i]) for c in columns}
        if geometry_name:
            geom = frame[geometry_name].iloc[i]
            record["geometry"] = geom.__geo_interface__ if geom is not None else None
        line = orjson.dumps(record, default=str, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
        if out is not None:
            out.write(line)
        else:  # pragma: no cover - text-only streams
            click.echo(line.decode(), nl=False)
    if out is not None:
        out.flush()


def _plain(value: Any) -> Any:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        from geopera_nb.contract.timestamps import format_instant

        return format_instant(value.to_pydatetime())
    if hasattr(value, "item"):
        return value.item()
    return value


OUT = click.option("--out", "-o", type=click.Path(dir_okay=True, path_type=Path), default=None,
                   help="Output: *.gpkg (a layer), *.parquet (GeoParquet) or a directory. "
                        "Default: NDJSON on stdout.")


@click.group(name="frames")
def command() -> None:
    """Write API results as GeoPackage/GeoParquet frames (or NDJSON on stdout)."""


@command.command(name="orders")
@click.option("--status", help="Comma-separated statuses, e.g. PLACED,FULFILLED.")
@click.option("--type", "type_", help="TASKING or ARCHIVE (comma-separated).")
@click.option("--tags", help="Comma-separated tags (orders having all of them).")
@click.option("--sub-status", help="Comma-separated sub-statuses.")
@click.option("--sort", help="field,asc|desc (createdAt, updatedAt, displayName, status).")
@OUT
@client_options
@friendly_errors
def orders(status: str | None, type_: str | None, tags: str | None, sub_status: str | None,
           sort: str | None, out: Path | None, api_url: str | None,
           profile: str | None) -> None:
    """One row per order (all pages); geometry = AOI."""
    from geopera_nb.frames import orders_frame

    filters: dict[str, Any] = {}
    if sub_status:
        filters["subStatus"] = sub_status
    if sort:
        filters["sort"] = sort
    with make_client(api_url, profile) as client:
        frame = orders_frame(client, status=status, type=type_, tags=tags, **filters)
    emit(frame, out, "orders")


def _per_order(name: str, layer: str, builder: str, doc: str) -> None:
    @command.command(name=name, help=doc)
    @click.argument("order_ids", nargs=-1, required=True)
    @OUT
    @client_options
    @friendly_errors
    def run(order_ids: tuple[str, ...], out: Path | None, api_url: str | None,
            profile: str | None) -> None:
        import geopera_nb.frames as frames

        with make_client(api_url, profile) as client:
            frame = getattr(frames, builder)(client, list(order_ids))
        emit(frame, out, layer)


_per_order("coverage-groups", "groups", "coverage_groups_frame",
           "One row per AOI group of the orders (requested/delivered km2, fraction).")
_per_order("coverage", "coverage", "coverage_frame",
           "Requested, covered and remainder parts of the orders (geodesic km2).")
_per_order("assets", "assets", "assets_frame",
           "One row per delivered STAC Item of the orders (footprint, hrefs, checksums).")


@command.command(name="studies")
@click.option("--order-id", help="Only this order's studies.")
@click.option("--decision", help="NOT_DECIDED, ACCEPTED or REJECTED.")
@OUT
@client_options
@friendly_errors
def studies(order_id: str | None, decision: str | None, out: Path | None,
            api_url: str | None, profile: str | None) -> None:
    """Feasibility studies, one row per option."""
    from geopera_nb.frames import studies_frame

    with make_client(api_url, profile) as client:
        frame = studies_frame(client, order_id=order_id, decision=decision)
    emit(frame, out, "studies")


@command.command(name="quotations")
@click.option("--order-id", help="Only this order's quotations.")
@click.option("--decision", help="NOT_DECIDED, ACCEPTED or REJECTED.")
@OUT
@client_options
@friendly_errors
def quotations(order_id: str | None, decision: str | None, out: Path | None,
               api_url: str | None, profile: str | None) -> None:
    """Tasking quotations, one row each."""
    from geopera_nb.frames import quotations_frame

    with make_client(api_url, profile) as client:
        frame = quotations_frame(client, order_id=order_id, decision=decision)
    emit(frame, out, "quotations")


@command.command(name="decisions")
@click.option("--kinds", help="feasibility, quotation or both (comma-separated).")
@OUT
@client_options
@friendly_errors
def decisions(kinds: str | None, out: Path | None, api_url: str | None,
              profile: str | None) -> None:
    """Pending decisions (studies and quotations awaiting an answer)."""
    from geopera_nb.frames import decisions_frame

    with make_client(api_url, profile) as client:
        frame = decisions_frame(client, kinds=kinds)
    emit(frame, out, "decisions")


@command.command(name="sensors")
@OUT
@client_options
@friendly_errors
def sensors(out: Path | None, api_url: str | None, profile: str | None) -> None:
    """The tasking sensor catalogue."""
    from geopera_nb.frames import sensors_frame

    with make_client(api_url, profile) as client:
        frame = sensors_frame(client)
    emit(frame, out, "sensors")


@command.command(name="templates")
@OUT
@client_options
@friendly_errors
def templates(out: Path | None, api_url: str | None, profile: str | None) -> None:
    """Active tasking templates."""
    from geopera_nb.frames import templates_frame

    with make_client(api_url, profile) as client:
        frame = templates_frame(client)
    emit(frame, out, "templates")


@command.command(name="catalog")
@click.option("--host-name", default="geopera", show_default=True)
@click.option("--bbox", help="west,south,east,north")
@click.option("--datetime", "datetime_", help="Instant or range a/b (open ends ..).")
@click.option("--collections", help="Comma-separated collections.")
@click.option("--max-cloud", type=float, help="eo:cloud_cover <= this.")
@click.option("--max-items", type=click.IntRange(1), default=1000, show_default=True)
@OUT
@client_options
@friendly_errors
def catalog(host_name: str, bbox: str | None, datetime_: str | None, collections: str | None,
            max_cloud: float | None, max_items: int, out: Path | None, api_url: str | None,
            profile: str | None) -> None:
    """Orderable archive captures (catalog.search, all pages up to --max-items)."""
    from geopera_nb.frames import catalog_frame

    filters: dict[str, Any] = {}
    if bbox:
        try:
            filters["bbox"] = [float(v) for v in bbox.split(",")]
        except ValueError:
            raise click.BadParameter("four comma-separated numbers", param_hint="--bbox") from None
        if len(filters["bbox"]) != 4:
            raise click.BadParameter("four comma-separated numbers", param_hint="--bbox")
    if datetime_:
        filters["datetime"] = datetime_
    if collections:
        filters["collections"] = collections.split(",")
    if max_cloud is not None:
        filters["query"] = {"eo:cloud_cover": {"lte": max_cloud}}
    with make_client(api_url, profile) as client:
        frame = catalog_frame(client, host_name, max_items=max_items, **filters)
    emit(frame, out, "catalog")
