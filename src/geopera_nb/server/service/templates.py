"""``orders.tasking.templates.save``, ``.list`` and ``.delete`` (soft)."""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.timestamps import format_instant

from ..state import template_store
from .call import Call

#: The fields of a template, as TemplateSaveInput names them.
FIELDS = ("name", "description", "capture_asap", "resolution", "sensor", "capture_frequency",
          "datum", "file_format", "has_control", "max_cloud_coverage", "max_nadir_angle")


def save(call: Call) -> Any:
    """``orders.tasking.templates.save``: answers ``{id, name}``."""
    tx = call.write_tx()
    template_id = tx.new_id()
    doc = {"id": template_id, **{k: call.body.get(k) for k in FIELDS},
           "createdAt": format_instant(call.now_ms)}
    template_store.insert(tx, call.org_id, doc)
    return {"id": template_id, "name": doc["name"]}


def list_templates(call: Call) -> Any:
    """``orders.tasking.templates.list``: active templates, newest first."""
    return {"templates": template_store.active(call.db, call.org_id)}


def delete(call: Call) -> Any:
    """``orders.tasking.templates.delete``: soft delete (again: 410)."""
    ident = call.body["template_id"]
    template_store.soft_delete(call.write_tx(), call.org_id, ident)
    return {"template_id": ident, "deleted": True}
