"""One truth per concept: each rule has one home, and the copies that disagreed now agree.

Two kinds of tests:

- *no second copy*: the source is scanned (AST, not grep) for status strings, numeric
  bounds, area formulas, ISO-8601 formatting and NDJSON trailer rules outside their home
  (``contract/states.py``, ``contract/limits.py``, ``geo/area.py``,
  ``contract/timestamps.py``, ``client/streams.py``); a new copy fails here, naming it;
- *the disagreements that made the issue*, on the inputs that exposed them: a polygon
  with a hole wound like its shell has one area in the drawer, the frames and the
  server's estimate; feasibility and passes count the same passes over the default
  window; the same instant prints the same everywhere. (The stream rule is in
  ``test_one_stream_rule.py``.)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Polygon

from geopera_nb.contract import limits, states
from geopera_nb.contract.timestamps import format_instant, from_ms, parse_instant, parse_ms
from geopera_nb.geo import to_geojson as mapping

SRC = Path(__file__).resolve().parents[2] / "src" / "geopera_nb"


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path.relative_to(SRC).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _docstrings(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def _strings(tree: ast.Module) -> Iterator[ast.Constant]:
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node


# --- no second copy ------------------------------------------------------------------------

STATE_WORDS = {v.value for enum in (states.OrderType, states.OrderStatus, states.SubStatus,
                                    states.Decision) for v in enum}


def test_status_strings_are_spelled_only_in_contract_states() -> None:
    found = [f"{name}:{node.lineno}: {node.value!r}" for name, tree in _modules()
             if name != "contract/states.py" for node in _strings(tree)
             if node.value in STATE_WORDS]
    assert not found, "use geopera_nb.contract.states instead of:\n" + "\n".join(found)


#: Numeric module constants that look like bounds but are not API input bounds.
NOT_BOUNDS = {
    "contract/timestamps.py": {"HOUR_MS"},  # a unit
    "server/domain/feasibility.py": {"MIN_POINTING_DEG"},  # physics of the sensors
    "server/domain/orbits.py": {"COARSE_STEP_S", "_GRID_S", "_OMEGA_MAX"},  # the propagator
    "server/service/lifecycle.py": {"_MAX_STEPS"},  # an internal safety net
    "server/domain/sensors.py": {"LTDN_HOURS"},  # an orbit parameter
    "frames/_source.py": {"DEFAULT_CONCURRENCY"},  # threads, not a server bound
    "widgets/_coverage_view.py": {"_MAX_NAMES"},  # how many names a sentence lists
}
BOUND_NAME = re.compile(r"(MAX|MIN|DEFAULT|LIMIT|TTL|WINDOW|DAYS|HOURS|SIZE|LENGTH|_MS$|_S$)")


def _numeric(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.BinOp):
        return _numeric(node.left) and _numeric(node.right)
    return isinstance(node, ast.UnaryOp) and _numeric(node.operand)


def test_bounds_and_defaults_are_numbers_only_in_contract_limits() -> None:
    found = []
    for name, tree in _modules():
        if name == "contract/limits.py":
            continue
        for node in tree.body:
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AnnAssign) else [])
            for target in targets:
                if (isinstance(target, ast.Name) and target.id.isupper()
                        and BOUND_NAME.search(target.id) and _numeric(node.value)
                        and target.id not in NOT_BOUNDS.get(name, set())):
                    found.append(f"{name}:{node.lineno}: {target.id} = {ast.unparse(node.value)}")
    assert not found, "bounds live in geopera_nb.contract.limits:\n" + "\n".join(found)


#: Literal numbers in comparisons that equal a bound's value but are another idea:
#: (module, value) -> why.
NOT_A_BOUND_LITERAL = {
    ("export/download.py", 200): "file-name bytes most filesystems allow",
    ("export/download.py", 20): "failures listed in an error message",
    ("export/download.py", 64): "hex digits of a sha256",
    ("frames/_assets_fast.py", 64): "a batch size of the fast path",
    ("frames/_geometry.py", 64): "when vectorising pays",
    ("geo/input.py", 40): "characters of WKT quoted in a message",
    ("server/domain/grid.py", 64.0): "UTM zone 32V's latitudes",
    ("server/domain/grid.py", 72.0): "UTM zones 31X-37X's latitudes",
}


def test_bound_values_are_not_typed_as_literals() -> None:
    """A comparison with a literal equal to a bound of ``contract.limits`` is a copy of the
    bound that will not follow it (``catalog.search`` once checked ``limit <= 500``)."""
    values = {v for k, v in vars(limits).items() if k.isupper() and isinstance(v, int | float)
              and not isinstance(v, bool) and v >= 20}
    found = []
    for name, tree in _modules():
        if name == "contract/limits.py":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare) or "status" in ast.unparse(node):
                continue  # HTTP status classes (200 <= status < 300) are no bounds
            for side in (node.left, *node.comparators):
                if (isinstance(side, ast.Constant) and _numeric(side) and side.value in values
                        and (name, side.value) not in NOT_A_BOUND_LITERAL):
                    found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "compare with the name in geopera_nb.contract.limits:\n" + "\n".join(found)


def _calls(tree: ast.Module, names: set[str]) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if called in names:
                lines.append(node.lineno)
    return lines


def test_geodesic_area_is_computed_only_in_geo_area() -> None:
    found = [f"{name}:{line}" for name, tree in _modules() if name != "geo/area.py"
             for line in _calls(tree, {"geometry_area_perimeter", "polygon_area_perimeter"})]
    assert not found, "use geopera_nb.geo.geodesic_area_km2: " + ", ".join(found)


def test_instants_are_parsed_and_printed_only_in_contract_timestamps() -> None:
    found = [f"{name}:{line}" for name, tree in _modules()
             if name != "contract/timestamps.py"
             for line in _calls(tree, {"fromisoformat", "isoformat", "strftime"})]
    assert not found, "use geopera_nb.contract.timestamps: " + ", ".join(found)


def test_stream_trailers_are_judged_only_by_the_client_reader() -> None:
    """Only the server writes trailers and only ``client/streams.py`` reads them."""
    homes = {"client/streams.py", "server/http/routes.py"}
    found = [f"{name}:{node.lineno}" for name, tree in _modules() if name not in homes
             for node in _strings(tree) if node.value == "complete"]
    found += [f"{name}:{node.lineno} def {node.name}" for name, tree in _modules()
              if name not in homes for node in ast.walk(tree)
              if isinstance(node, ast.FunctionDef) and "trailer" in node.name]
    assert not found, "use geopera_nb.client.streams.check_trailer: " + ", ".join(found)


def test_environment_variables_are_named_only_in_contract_environment() -> None:
    found = [f"{name}:{node.lineno}: {node.value}" for name, tree in _modules()
             if name != "contract/environment.py" for node in _strings(tree)
             if re.fullmatch(r"GEOPERA_[A-Z_]+", node.value)]
    assert not found, "use geopera_nb.contract.environment:\n" + "\n".join(found)


def test_no_exception_shadows_a_builtin() -> None:
    import builtins
    import warnings

    from geopera_nb import errors

    assert not set(errors.__all__) & set(dir(builtins))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert errors.TimeoutError is errors.RequestTimeoutError  # deprecated alias
    assert caught and issubclass(caught[0].category, DeprecationWarning)


# --- the disagreements, on the inputs that exposed them ------------------------------------

#: 2 deg x 2 deg with a 1 deg hole wound the same way (counter-clockwise) as its shell:
#: 36,924 km2 with the hole out, 61,539 km2 when a copy added it instead.
SHELL = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)]
HOLE = [(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (0.5, 1.5), (0.5, 0.5)]
SAME_WINDING = Polygon(SHELL, [HOLE])


def test_hole_wound_like_its_shell_is_subtracted_everywhere(sandbox: Any, client: Any) -> None:
    from geopera_nb.frames import tasking_estimate_frame
    from geopera_nb.geo import geodesic_area_km2, geodesic_areas_km2, parse_feature_collection

    assert SAME_WINDING.exterior.is_ccw and SAME_WINDING.interiors[0].is_ccw
    expected = geodesic_area_km2(SAME_WINDING)
    assert expected == pytest.approx(36_924, abs=1)  # not 61,539: the hole is out
    fc = {"type": "FeatureCollection",
          "features": [{"type": "Feature", "properties": {}, "geometry": mapping(SAME_WINDING)}]}
    server = client.orders.tasking.estimate(groups=[{"sensor": "geo-swift-3m", "featureCollection": fc}])
    areas = {
        "geo.geodesic_area_km2 (drawer)": expected,
        "geo.geodesic_areas_km2 (frames)": float(geodesic_areas_km2([SAME_WINDING])[0]),
        "geo.parse_feature_collection (server's rules)": parse_feature_collection(fc)[0].area_km2,
        "AOI form (WKT)": geodesic_area_km2(SAME_WINDING.wkt),
        "server estimate": server["groups"][0]["areaKm2"],
        "estimate frame": float(tasking_estimate_frame(server)["area_km2"].iloc[0]),
    }
    for where, area in areas.items():
        assert area == pytest.approx(expected, rel=1e-6), where


def test_the_drawer_shows_the_area_the_server_bills(sandbox: Any, client: Any) -> None:
    from geopera_nb.widgets import AOIDrawer

    drawer = AOIDrawer(online=False)
    drawer.draw_control.data = [{"type": "Feature", "properties": {"style": {}},
                         "geometry": mapping(SAME_WINDING)}]
    shown = float(drawer.aois["area_km2"].iloc[0])
    fc = {"type": "FeatureCollection",
          "features": [{"type": "Feature", "properties": {}, "geometry": mapping(SAME_WINDING)}]}
    billed = client.orders.tasking.estimate(
        groups=[{"sensor": "geo-swift-3m", "featureCollection": fc}])["groups"][0]["areaKm2"]
    assert shown == pytest.approx(billed, rel=1e-6)


def test_feasibility_and_passes_count_the_same_passes_over_the_default_window(
        client: Any) -> None:
    """The planner showed "feasible: 7 passes" (14 days) over "Predicted passes: 4" (7)."""
    sensors = client.orders.tasking.sensors()["sensors"]
    sensor = next(s for s in sensors if s["feasibility"] == "auto")
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
          "geometry": mapping(Polygon([(150.0, -34.0), (150.2, -34.0), (150.2, -33.8),
                                       (150.0, -33.8), (150.0, -34.0)]))}]}
    body = {"dataProduct": sensor["dataProductId"], "featureCollection": fc, "params": {}}
    check = client.orders.tasking.feasibility_check(**body)
    passes = client.orders.tasking.opportunities_list(**body)["features"]
    reason = check["features"][0]["reason"]
    counted = int(re.search(r"(\d+) passes", reason).group(1))  # type: ignore[union-attr]
    assert counted == len(passes) > 0, reason


@pytest.mark.parametrize("text", [
    "2026-12-01T00:00:00.0004Z", "2026-12-01T00:00:00.0005Z", "2026-12-01T00:00:00.9996Z",
    "2026-12-01T10:00:00.0006+10:00", "1970-01-01T00:00:00.0009Z",
])
def test_an_instant_prints_the_same_whichever_way_it_travels(text: str) -> None:
    """``sandbox/clock.py`` rounded where ``domain/util.py`` floored: 1 ms apart."""
    direct = format_instant(parse_instant(text))
    via_ms = format_instant(from_ms(parse_ms(text)))
    assert direct == via_ms == format_instant(parse_ms(text))


def test_the_sandbox_clock_floors_like_everyone_else() -> None:
    from geopera_nb import sandbox

    with sandbox.start(clock_start="2026-12-01T00:00:00.0009Z") as sb:
        assert sb.now() == "2026-12-01T00:00:00.000Z"


def test_limits_module_is_the_one_the_server_enforces(api_key: str, sandbox: Any) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"}
    r = httpx.post(f"{sandbox.url}/v1/op/orders.list", headers=headers,
                   json={"size": limits.PAGE_SIZE_MAX + 1})
    assert r.status_code == 422 and str(limits.PAGE_SIZE_MAX) in r.text
    assert httpx.post(f"{sandbox.url}/v1/op/orders.list", headers=headers,
                      json={"size": limits.PAGE_SIZE_MAX}).status_code == 200
