"""The web editor's configuration (Decap CMS, ``/admin/``), generated from the schemas, the record
layout and the plans, so that it cannot drift from what ``bangfu check`` accepts.

Contributors who do not use Git edit organizations, plans and progress reports in a browser;
every save is a branch and a pull request (``publish_mode: editorial_workflow``) that the usual
checks, review and CODEOWNERS routing handle. Households have no collection (spreadsheet and
command-line routes only). A field is offered only when the schemas mark it, and every property
above it, ``x-visibility: public`` (``schema.is_public``): nothing private is shown or written.

From the schemas: labels and hints (titles and descriptions), enums as selects, patterns with
the schema's Chinese description as the message, required fields, lists. From the data: a report
collection per plan (``data/plans/<区县>/<方案>/reports/``), whose dates must fall inside the
plan's period and whose entries name one of the plan's targets; the villages a plan may target.

What one editor load reads does not grow with the province: ``config.json`` holds the
organization and campaign collections; a county's plans and report collections are in
``counties/<区县>.json``, read only when the editor is opened for that county
(``/admin/?county=<区县>``; the page lists the counties of ``counties.json``). The report
collection is written once, as a template with tokens, with each plan's values; the page fills
it in per plan (``fill``, here and in ``site/admin/index.html``).
"""

from __future__ import annotations

import json
from pathlib import Path

from .cms_inputs import Inputs, Plan
from .cms_template import plan_values
from .cms_template import token as _t
from .layout import PLACES
from .schema import bundled, is_public, node_at

CONFIG_DIR = "site/admin"  # where `bangfu cms` writes, beside the data folder
BASE_FILE = "config.json"
INDEX_FILE = "counties.json"  # the county list
COUNTY_DIR = "counties"  # <county>.json: a county's collections
DEFAULT_REPO = "bangfu-ledger/ledger"  # the GitHub repository; `bangfu cms --repo` sets it
# never offered: `synthetic` marks demo data; `corrections` keep the original value (private)
# and are written by maintainers on the command line
SKIP = frozenset({"synthetic", "corrections"})
TEXT_WIDGET_ABOVE = 200  # strings allowed longer than this get a multi-line box


# ---- fields from the schemas -----------------------------------------------------------------


def _message(node: dict, defs: dict) -> str:
    """The Chinese explanation shown when a pattern does not match: the field's description,
    then its shared type's (``common.schema.json#/$defs``) when that says more."""
    own = node.get("description", "")
    shared = ""
    ref = node.get("$ref")
    if ref:
        shared = defs.get(ref.split("/")[-1], {}).get("description", "")
    return own if not shared or shared in own else f"{own}{shared}"


def _raw(schema: dict, parts: list) -> dict:
    """The node at ``parts`` before $ref is followed (to name the shared type)."""
    n = schema
    for p in parts:
        n = n.get("items", {}) if isinstance(p, int) else n.get("properties", {}).get(p, {})
    return n


def fields_of(schema: dict, parts: list, overrides: dict | None = None) -> list[dict]:
    """The editor fields for the public properties of the object at ``parts``."""
    node = node_at(schema, parts)
    required = set(node.get("required", []))
    out = []
    for name in node.get("properties", {}):
        sub = [*parts, name]
        if name in SKIP or not is_public(schema, sub):
            continue
        key = ".".join(str(p) for p in sub if not isinstance(p, int))
        if overrides and key in overrides:
            f = overrides[key]
            if f is None:
                continue
            out.append({"name": name, **f})
            continue
        out.append(_field(schema, sub, name, name in required, overrides))
    return out


def _field(schema: dict, parts: list, name: str, required: bool, overrides) -> dict:
    node = node_at(schema, parts)
    raw = _raw(schema, parts)
    defs = schema.get("$defs", {})
    f: dict = {"name": name, "label": node.get("title", name)}
    if node.get("description"):
        f["hint"] = node["description"]
    f["required"] = required
    items = node_at(schema, [*parts, 0]) if "items" in node else None
    if "enum" in node:
        f.update(widget="select", options=list(node["enum"]))
    elif items is not None and "enum" in items:
        f.update(widget="select", multiple=True, options=list(items["enum"]))
    elif items is not None and items.get("type") == "object":
        f.update(widget="list", fields=fields_of(schema, [*parts, 0], overrides))
    elif items is not None:
        inner = _field(schema, [*parts, 0], name, True, overrides)
        inner.pop("hint", None)
        f.update(widget="list", field=inner)
    elif node.get("type") == "object":
        f.update(widget="object", fields=fields_of(schema, parts, overrides))
    elif node.get("type") == "boolean" or node.get("const") is True:
        f["widget"] = "boolean"
    elif node.get("type") in ("number", "integer"):
        f.update(widget="number", value_type="int" if node["type"] == "integer" else "float")
        if node.get("minimum") == 0:  # Decap checks a pattern on the number's text
            digits = "^[0-9]+$" if node["type"] == "integer" else "^[0-9]+(\\.[0-9]+)?$"
            f["pattern"] = [digits, _message(raw, defs)]
        else:
            for k, v in (("min", "minimum"), ("max", "maximum")):
                if v in node:
                    f[k] = node[v]
    else:
        long = node.get("maxLength", 0) > TEXT_WIDGET_ABOVE
        f["widget"] = "text" if long else "string"
        if "pattern" in node:
            f["pattern"] = [node["pattern"], _message(raw, defs)]
    return f


# ---- collections -----------------------------------------------------------------------------


def _folder(kind: str) -> str:
    return "data/" + PLACES[kind].pattern.split("/")[0]


EDITABLE = {"create": True, "delete": False, "slug": "{{id}}"}  # new records named by their id


def _collection(name: str, label: str, folder: str, fields: list, **extra) -> dict:
    """A folder collection of YAML records, one file a record, identified by ``id``."""
    return {
        "name": name,
        "label": label,
        **extra,
        "folder": folder,
        "extension": "yaml",
        "format": "yaml",
        "editor": {"preview": False},  # the form takes the whole width (phones)
        "identifier_field": "id",
        "fields": fields,
    }


def _organizations(schema: dict) -> dict:
    return _collection(
        "organizations",
        "帮扶主体",
        _folder("organization"),
        fields_of(schema, []),
        label_singular="帮扶主体",
        description=schema.get("description", ""),
        summary="{{name}}（{{id}}）",
        **EDITABLE,
    )


def _campaigns() -> dict:
    """Read only, hidden: the choices of a plan's 专项行动."""
    return _collection(
        "campaigns",
        "专项行动",
        _folder("campaign"),
        [{"name": "id", "label": "编号"}, {"name": "name", "label": "名称"}],
        hide=True,
        create=False,
        delete=False,
    )


def _relation(label: str, hint: str, collection: str, multiple: bool = False) -> dict:
    f = {
        "label": label,
        "hint": hint,
        "widget": "relation",
        "collection": collection,
        "value_field": "id",
        "search_fields": ["name", "id"],
        "display_fields": ["name"],
        "required": True,
    }
    if multiple:
        f.update(multiple=True, min=1)
    return f


def _plans(schema: dict, county: str, label: str, villages: list[tuple[str, str]]) -> dict:
    """The plans of one county (``plans/<county>/<id>/plan.yaml``): the county is fixed, the
    target villages are chosen among the county record's."""

    def title(k: str) -> str:
        return str(node_at(schema, [k]).get("title", k))

    def desc(k: str) -> str:
        return str(node_at(schema, [k]).get("description", ""))

    tv = node_at(schema, ["targets", "villages"])
    overrides = {
        "county": {"label": title("county"), "widget": "hidden", "default": county},
        "campaign": _relation(title("campaign"), desc("campaign"), "campaigns"),
        "organizations": _relation(
            title("organizations"), desc("organizations"), "organizations", multiple=True
        ),
        "targets.villages": {
            "label": tv.get("title", "villages"),
            "hint": tv.get("description", ""),
            "widget": "select",
            "multiple": True,
            "required": False,
            "options": [{"label": text, "value": vid} for vid, text in villages],
        },
    }
    folder = "data/" + PLACES["plan"].pattern.split("{county}")[0] + county  # data/plans/<county>
    return _collection(
        f"plans-{county}",
        f"结对方案：{label}",
        folder,
        fields_of(schema, [], overrides),
        label_singular="结对方案",
        description=schema.get("description", ""),
        path="{{id}}/plan",  # layout: plans/{county}/{id}/plan.yaml
        summary="{{name}}",
        **EDITABLE,
    )


# ---- report collections: one per plan, as a template and each plan's values ------------------


def report_template(schema: dict) -> dict:
    """A plan's report collection with the plan's values as tokens (``@@id@@``): its period as
    ``@@start@@``/``@@end@@``, the pattern of its days as ``@@dates@@``, its targets as
    ``options: "@@households@@"`` and ``"@@villages@@"`` (``fill`` drops a target field whose
    list is empty: nothing to choose)."""
    start, end, plan_id = _t("start"), _t("end"), _t("id")
    period = node_at(schema, ["period"])
    said = f"{period.get('title', '')}：{period.get('description', '')}"
    entry = ["entries", 0]

    def date_field(parts, name, said):
        """A date inside the plan's period; the message is the schema's description ``said``."""
        n = node_at(schema, parts)
        return {
            "label": n.get("title", name),
            "hint": n.get("description", ""),
            "widget": "string",
            "required": True,
            "pattern": [_t("dates"), f"{said}（方案期间 {start} 至 {end}）"],
        }

    def target(key: str) -> dict:
        n = node_at(schema, [*entry, key])
        return {
            "label": n.get("title", key),
            "hint": n.get("description", ""),
            "widget": "select",
            "required": False,
            "options": _t(key + "s"),
        }

    overrides = {
        "plan": {
            "label": node_at(schema, ["plan"]).get("title", "plan"),
            "widget": "hidden",
            "default": plan_id,
        },
        "period": {
            "label": period.get("title", "period"),
            "hint": period.get("description", ""),
            "widget": "object",
            "required": True,
            "fields": [{"name": k, **date_field(["period", k], k, said)} for k in ("start", "end")],
        },
        "entries.date": date_field(
            [*entry, "date"], "date", node_at(schema, [*entry, "date"]).get("description", "")
        ),
        "entries.household": target("household"),
        "entries.village": target("village"),
    }
    report = PLACES["report"].pattern  # plans/{county}/{plan}/reports/{id}.yaml
    folder = "data/" + report.rsplit("/", 1)[0].format(county=_t("county"), plan=plan_id)
    fields = fields_of(schema, [], overrides)
    for f in fields:
        if f["name"] == "entries":
            f.update(summary="{{fields.date}} {{fields.kind}}", label_singular="条目")
    return _collection(
        f"reports-{plan_id}",
        f"进度报告：{_t('name')}",
        folder,
        fields,
        label_singular="进度报告",
        description=f"{schema.get('description', '')}方案期间 {start} 至 {end}。",
        summary="{{id}}",
        **EDITABLE,
    )


# ---- the configuration -----------------------------------------------------------------------


def build(schemas_dir: Path, repo: str = DEFAULT_REPO) -> dict:
    """The editor's configuration without a county's collections (``config.json``)."""
    schemas = bundled(schemas_dir)
    return {
        "backend": {"name": "github", "repo": repo, "branch": "main"},
        "publish_mode": "editorial_workflow",
        # used only when the page is served from this computer (localhost) and decap-server
        # runs next to it; the published site always uses the GitHub backend
        "local_backend": True,
        "locale": "zh_Hans",
        "media_folder": "site/assets/uploads",  # required by Decap; no field uploads files
        "slug": {"encoding": "ascii", "clean_accents": False, "sanitize_replacement": "-"},
        "collections": [
            _organizations(schemas["organization"]),
            _campaigns(),
        ],
    }


def counties(schemas_dir: Path, inputs: Inputs) -> tuple[list[dict], dict[str, dict]]:
    """The county list (``counties.json``: id, label, number of plans) and each county's
    file (``counties/<id>.json``): its plans collection, and its report collections as the
    template and its plans' values. Every county of a county record or of a plan is listed."""
    schemas = bundled(schemas_dir)
    template = report_template(schemas["report"])
    by_county: dict[str, list[Plan]] = {c: [] for c in inputs.counties}
    for p in inputs.plans:
        by_county.setdefault(p.county, []).append(p)
    index, files = [], {}
    for c, ps in sorted(by_county.items()):
        label = inputs.counties.get(c, c)
        index.append({"id": c, "label": label, "plans": len(ps)})
        files[c] = {
            "county": c,
            "plans_collection": _plans(schemas["plan"], c, label, inputs.villages.get(c, [])),
            "template": template,
            "plans": [plan_values(p) for p in ps],
        }
    return index, files


def files(schemas_dir: Path, inputs: Inputs, repo: str = DEFAULT_REPO) -> dict[str, str]:
    """Every file of the configuration, by its path under ``/admin/``: ``config.json`` (what
    every editor load reads), ``counties.json`` and ``counties/<区县>.json``."""
    index, by_county = counties(schemas_dir, inputs)
    out = {
        BASE_FILE: _json(build(schemas_dir, repo), indent=1),
        INDEX_FILE: _json(index, indent=1),
    }
    for county, body in by_county.items():
        out[f"{COUNTY_DIR}/{county}.json"] = _json(body)
    return out


def _json(obj, indent: int | None = None) -> str:
    sep = (",", ": ") if indent else (",", ":")
    return json.dumps(obj, ensure_ascii=False, indent=indent, separators=sep) + "\n"
