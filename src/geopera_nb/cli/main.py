"""Entry point of the ``geopera-nb`` command.

Each sub-command lives in its own module of this package and exposes a ``click`` command
or group named ``command``. Modules are imported lazily, so ``geopera-nb --help`` stays
fast and a missing optional dependency only affects its own sub-command.

Exit codes
----------
0 success; 1 an API or runtime error (one line on stderr); 2 bad usage or bad input;
130 interrupted.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

#: sub-command name -> module (relative to this package) defining ``command``
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "sandbox": (".sandbox", "Run the embedded Geopera sandbox server."),
    "demo": (".demo", "Run the main job: the tasking notebook on the sandbox, coverage.gpkg out."),
    "lab": (".lab", "Open JupyterLab on notebooks/ with the sandbox running."),
    "frames": (".frames", "Write API results as GeoPackage/GeoParquet frames."),
    "export": (".export", "Export coverage of orders to GeoPackage/GeoParquet."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = SUBCOMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0], __package__)
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="geopera-nb")
def cli() -> None:
    """geopera-nb: Geopera imagery from notebooks, with an embedded sandbox."""


def main(argv: list[str] | None = None) -> Any:
    """Run the command line, turning every failure into one clear line and an exit code."""
    from geopera_nb.errors import GeoperaError

    try:
        return cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except GeoperaError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except (OSError, ValueError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # the CLI's promise: one line, never a traceback
        import httpx

        if isinstance(exc, httpx.HTTPError):
            click.echo(f"Error: cannot reach the server: {type(exc).__name__}: {exc}", err=True)
        else:
            click.echo(f"Error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
