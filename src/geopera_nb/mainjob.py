"""The main job: run the tasking workflow notebook headless and report what it did.

``geopera-nb demo`` (and ``./dev demo``) call :func:`run_main_job`:

1. connect: the account in ``GEOPERA_API_URL`` + ``GEOPERA_API_TOKEN`` when both are
   set, otherwise an embedded sandbox started here (seeded, a fresh demo org);
2. execute the notebooks themselves (``notebooks/02-tasking.ipynb`` by default) with
   nbclient, the kernel pointed at that account through the same environment variables
   and at the output directory through ``GEOPERA_NB_OUT`` (the notebook writes
   ``coverage.gpkg`` there);
3. write each executed notebook as ``.ipynb`` and as an HTML report whose maps render
   with no network (widget state embedded, the widget JavaScript shipped in the page:
   :mod:`geopera_nb.report`), ending with a "Coverage and money over time" plot;
4. read the orders back from the API and summarise them (orders by status, credits
   reserved and charged, covered km2).

Examples
--------
>>> summary = run_main_job(Path("out"))                   # doctest: +SKIP
>>> print(summary.render())                                # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geopera_nb.contract import environment
from geopera_nb.contract.states import coverage_available

#: the workflow the main job runs when no notebook is named
DEFAULT_NOTEBOOK = "02-tasking.ipynb"
#: the notebooks the main job runs when none is named, in order
DEFAULT_NOTEBOOKS = (DEFAULT_NOTEBOOK, "06-pixels.ipynb")
#: credits granted to the demo org on the embedded sandbox
DEMO_CREDITS = 1_000_000


@dataclass
class Account:
    """Where the notebooks run: the API URL, a token, and (sandbox only) its ledger."""

    url: str
    token: str = field(repr=False)
    client: Any
    sandbox: bool
    ledger: Callable[[], dict[str, int]] | None = None
    admin_token: str | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        """The environment that points ``gn.connect()`` (in a kernel) at this account.

        On a sandbox the admin token goes along (``GEOPERA_SANDBOX_ADMIN_TOKEN``), so the
        notebook can move the sandbox clock where a real account would just wait.
        """
        env = {environment.API_URL: self.url, environment.API_TOKEN: self.token}
        if self.admin_token:
            env[environment.SANDBOX_ADMIN_TOKEN] = self.admin_token
        return env


@dataclass
class Summary:
    """What the main job did, read back from the API after the run."""

    account: str
    notebooks: list[Path]
    outputs: list[Path]
    orders_by_status: dict[str, int] = field(default_factory=dict)
    orders_by_type: dict[str, int] = field(default_factory=dict)
    credits_estimated: int = 0
    credits_reserved: int = 0
    credits_charged: int = 0
    credits_refunded: int = 0
    requested_km2: float = 0.0
    covered_km2: float = 0.0
    ledger: dict[str, int] | None = None
    seconds: float = 0.0

    @property
    def order_count(self) -> int:
        """Number of orders the account holds after the run."""
        return sum(self.orders_by_status.values())

    def render(self) -> str:
        """A short human summary, a few lines."""
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.orders_by_status.items()))
        types = ", ".join(f"{n} {t.lower()}" for t, n in sorted(self.orders_by_type.items()))
        lines = [
            f"main job on {self.account}: {len(self.notebooks)} notebook(s) in {self.seconds:.1f} s",
            f"orders:   {self.order_count} ({types or 'none'}; {statuses or '-'})",
            f"credits:  {self.credits_charged:,} charged, {self.credits_reserved:,} reserved, "
            f"{self.credits_refunded:,} refunded (estimated {self.credits_estimated:,})",
        ]
        if self.ledger is not None:
            lines.append(f"ledger:   {self.ledger.get('balance', 0):,} of "
                         f"{self.ledger.get('granted', 0):,} credits left")
        fraction = self.covered_km2 / self.requested_km2 if self.requested_km2 else 0.0
        lines.append(f"coverage: {self.covered_km2:,.2f} km² covered of "
                     f"{self.requested_km2:,.2f} km² requested ({fraction:.0%})")
        lines += [f"wrote:    {path}" for path in self.outputs]
        return "\n".join(lines)


def repo_notebooks_dir() -> Path:
    """``./notebooks`` if it exists, else the ``notebooks/`` of this source checkout."""
    here = Path.cwd() / "notebooks"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "notebooks"


def resolve_notebook(name: str | Path) -> Path:
    """A notebook path as given, or by name inside the notebooks directory."""
    path = Path(name)
    if path.exists():
        return path
    candidate = repo_notebooks_dir() / path.name
    if candidate.exists():
        return candidate
    raise FileNotFoundError(f"no notebook {name} (looked in {repo_notebooks_dir()})")


@contextmanager
def connect_account(seed: int = 0, credits: int = DEMO_CREDITS) -> Iterator[Account]:
    """The account from the environment, or a fresh embedded sandbox with a demo org."""
    url = os.environ.get(environment.API_URL)
    token = os.environ.get(environment.API_TOKEN)
    if url and token:
        from geopera_nb.client import Client

        with Client() as client:  # reads GEOPERA_API_URL / GEOPERA_API_TOKEN, as the CLI does
            yield Account(url=url, token=token, client=client, sandbox=False)
        return

    from geopera_nb import sandbox as sandbox_module

    with sandbox_module.start(data_dir=None, seed=seed) as sb:
        org = sb.create_org(name="Demo", credits=credits)
        client = sb.client(org)
        try:
            yield Account(url=sb.url, token=org.api_key, client=client, sandbox=True,
                          ledger=lambda: dict(sb.ledger(org)), admin_token=sb.admin_token)
        finally:
            client.close()


def execute_notebook(source: Path, out_dir: Path, env: dict[str, str], *,
                     timeout: int = 900,
                     extra_sections: Callable[[], str] | None = None) -> tuple[Path, Path]:
    """Execute ``source`` with nbclient (working directory: its own folder); write the
    executed notebook and its offline HTML report into ``out_dir``. Raises on the first
    failing cell (after writing what ran, so the HTML shows the error).

    ``extra_sections()`` (HTML) is appended to the report after a successful run.
    """
    import nbformat
    from nbclient import NotebookClient

    from geopera_nb.report import notebook_html

    nb = nbformat.read(source, as_version=4)
    kernel_env = {k: v for k, v in os.environ.items()
                  if k not in {environment.API_KEY, environment.BASE_URL, environment.PROFILE}}
    kernel_env.update(env)
    kernel_env.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent.resolve())}},
                            # the kernel's own startup chatter (e.g. "running over TCP without
                            # encryption" on loopback) is noise here; cell errors still raise
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    ipynb_path = out_dir / source.name
    html_path = out_dir / f"{source.stem}.html"
    ok = False
    try:
        client.execute(env=kernel_env)
        ok = True
    finally:
        nbformat.write(nb, ipynb_path)
        extra = extra_sections() if ok and extra_sections is not None else ""
        html_path.write_text(notebook_html(nb, extra_sections=extra), encoding="utf-8")
    return ipynb_path, html_path


def summarise(account: Account, summary: Summary) -> None:
    """Fill ``summary`` from the account's orders (and the sandbox ledger)."""
    client = account.client
    statuses: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for order in client.iter_orders():
        statuses[order.get("status") or "UNKNOWN"] += 1
        types[order.get("type") or "UNKNOWN"] += 1
        credits = order.get("credits") or {}
        summary.credits_estimated += int(credits.get("estimated") or 0)
        summary.credits_reserved += int(credits.get("reserved") or 0)
        summary.credits_charged += int(credits.get("charged") or 0)
        summary.credits_refunded += int(credits.get("refunded") or 0)
        if coverage_available(order.get("type"), order.get("status")):
            coverage = client.orders.coverage.get(order_id=order["id"])
            summary.requested_km2 += float(coverage.get("requestedKm2") or 0.0)
            summary.covered_km2 += float(coverage.get("coveredKm2") or 0.0)
    summary.orders_by_status = dict(statuses)
    summary.orders_by_type = dict(types)
    if account.ledger is not None:
        summary.ledger = account.ledger()


def run_main_job(out_dir: Path, notebooks: Sequence[str | Path] = DEFAULT_NOTEBOOKS, *,
                 seed: int = 0, cell_timeout: int = 900,
                 echo: Callable[[str], None] | None = None) -> Summary:
    """Run ``notebooks`` headless against the account (or a fresh sandbox); see module doc.

    ``cell_timeout`` bounds each cell (seconds): on the sandbox every wait is a clock
    move, so a cell that takes minutes is a bug, not a slow satellite.

    Raises ``nbclient.exceptions.CellExecutionError`` when a cell fails, and
    ``FileNotFoundError`` when the notebook did not write ``coverage.gpkg``.
    """
    from geopera_nb.report import timeline_section

    say = echo or (lambda line: print(line, file=sys.stderr))
    started = time.monotonic()
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = [resolve_notebook(nb) for nb in notebooks]
    (out_dir / "coverage.gpkg").unlink(missing_ok=True)  # so a stale file cannot pass

    with connect_account(seed=seed) as account:
        where = f"the embedded sandbox (seed {seed})" if account.sandbox else account.url
        summary = Summary(account=where, notebooks=sources, outputs=[])
        env = {**account.env(), environment.NB_OUT: str(out_dir)}
        for source in sources:
            say(f"running {source.name} on {where} ...")
            ipynb_path, html_path = execute_notebook(
                source, out_dir, env, timeout=cell_timeout,
                extra_sections=lambda: timeline_section(account.client))
            summary.outputs += [html_path, ipynb_path]
        gpkg = out_dir / "coverage.gpkg"
        if any(s.name == DEFAULT_NOTEBOOK for s in sources) and not gpkg.exists():
            raise FileNotFoundError(f"{DEFAULT_NOTEBOOK} ran but wrote no {gpkg}")
        if gpkg.exists():
            summary.outputs.insert(0, gpkg)
        summarise(account, summary)
    summary.seconds = time.monotonic() - started
    return summary
