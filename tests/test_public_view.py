"""The public view (``public.project``): the allow-list of the schemas' ``x-visibility``
marks, the same whether ``is_public``'s answers are remembered or asked each time."""

from __future__ import annotations

import copy

from bangfu.config import Config
from bangfu.pipeline import Pipeline
from bangfu.public import NEVER_PUBLIC_KINDS, project
from bangfu.schema import bundled, is_public

from .conftest import demo_corpus


def _asked_each_time(schema: dict, shape: tuple, value):
    """The projection as it was before ``is_public``'s answers were remembered."""
    if isinstance(value, dict):
        return {
            k: _asked_each_time(schema, (*shape, k), v)
            for k, v in value.items()
            if is_public(schema, (*shape, k))
        }
    if isinstance(value, list):
        return [_asked_each_time(schema, (*shape, 0), v) for v in value]
    return value


def _odd_keys(data: dict) -> dict:
    """``data`` with keys that are not text beside its own, at the top and one level down
    (1, 1.0 and True are one key to a dict but not one path to the schema)."""
    out = copy.deepcopy(data)
    out[1] = {"name": "x", 0: "y"}
    out[True] = ["z"]
    for v in list(out.values()):
        if isinstance(v, dict):
            v[1.0] = {"name": "w"}
            v[0] = "v"
    return out


def test_the_public_view_of_every_record_is_that_of_is_public_asked_each_time(tmp_path_factory):
    cfg = Config.make(demo_corpus(tmp_path_factory, 300, 6))
    schemas = bundled(cfg.schemas_dir)
    records = [
        r
        for r in Pipeline(cfg).records
        if r.kind and r.kind not in NEVER_PUBLIC_KINDS and isinstance(r.data, dict)
    ]
    kinds = {r.kind for r in records}
    assert {"plan", "county", "organization", "campaign", "report"} <= kinds
    for _ in range(2):  # the answers remembered from the first round are used in the second
        for rec in records:
            for data in (rec.data, _odd_keys(rec.data)):
                want = _asked_each_time(schemas[rec.kind], (), data)
                assert project(cfg.schemas_dir, rec.kind, data) == want, rec.file
