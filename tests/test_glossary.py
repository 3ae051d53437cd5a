"""Words that recur, said once in ``geo_core20.schema`` (issue 17): the Core20 definition, the
target labels and the default vintage. Every page, command and API default reads them there.

The scan reads the string constants of the app's Python source (docstrings aside: they explain
code to developers) and finds any wording of the Core20 rule outside ``schema.py``.
``geo_core20/exports/`` is a separate case, expected to fail (strict) until the print renderers
are switched to the glossary at merge.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from geo_core20 import cli, plus, schema, siting
from geo_core20.maps import classify, styles
from geo_core20.ui import link, plan_form
from geo_core20.ui import target as ui_target

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "geo_core20" / "schema.py"
EXPORTS = ROOT / "geo_core20" / "exports"
CORE20_WORDING = re.compile(r"most deprived 20|IMD deciles? 1\b", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
        # attribute docstrings: a bare string right after an assignment
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for prev, nxt in zip(body, body[1:], strict=False):
                if (isinstance(prev, (ast.Assign, ast.AnnAssign)) and isinstance(nxt, ast.Expr)
                        and isinstance(nxt.value, ast.Constant)):
                    ids.add(id(nxt.value))
    return ids


def core20_wordings(files: list[Path]) -> list[str]:
    hits = []
    for path in files:
        if path == SCHEMA:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                    and CORE20_WORDING.search(node.value)):
                name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                hits.append(f"{name}:{node.lineno}: {node.value[:70]!r}")
    return hits


def _files(*roots: Path) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        out.extend([root] if root.is_file() else sorted(root.rglob("*.py")))
    return out


def test_the_core20_definition_is_written_once():
    files = [f for f in _files(ROOT / "geo_core20", ROOT / "app.py", ROOT / "views")
             if EXPORTS not in f.parents]
    assert len(files) > 50
    assert core20_wordings(files) == []
    assert schema.CORE20_DEFINITION.startswith("Core20 = the most deprived 20% of LSOAs in England")


def test_the_print_renderers_use_the_one_core20_definition():
    assert core20_wordings(_files(EXPORTS)) == []


def test_the_scan_skips_docstrings_but_not_texts(tmp_path):
    src = tmp_path / "x.py"
    src.write_text('"""Core20 is the most deprived 20% (docs)."""\nX = 1\n'
                   '"""IMD deciles 1-2 (attribute doc)."""\ndef f():\n    """IMD deciles 1-2."""\n'
                   '    return "Core20 = IMD deciles 1-2."\n')
    assert [h.split(": ", 1)[1] for h in core20_wordings([src])] == ["'Core20 = IMD deciles 1-2.'"]


def test_target_labels_are_the_schemas_everywhere():
    labels = schema.TARGET_LABELS
    assert dict(ui_target.BASE_LABEL) == labels
    assert {k: plan_form.TARGETS[k] for k in labels} == labels
    assert {k: siting.BASE_LABEL[k] for k in labels} == labels
    assert plus.TargetSpec().describe() == labels["core20"]
    assert plus.TargetSpec(base="all").describe() == labels["all"]
    assert siting.Target("core20").describe() == labels["core20"]
    assert siting.Target("all").describe() == labels["all"]


def test_legends_and_indicator_notes_use_the_schemas_words():
    lgd = classify.Legend("t", (), core20_outline=True)
    assert f"Core20 LSOA ({schema.CORE20_RULE}), outlined" in classify.legend_html(lgd)
    assert schema.CORE20_RULE in styles.decile_classes(schema.IMD_DECILE).note
    assert schema.CORE20_DEFINITION in plus.get("coastal_core20").caveat


def test_the_default_vintage_is_the_schemas():
    assert schema.VINTAGES[0] == schema.DEFAULT_VINTAGE == link.DEFAULT_VINTAGE
    assert siting.PlanRequest().vintage == schema.DEFAULT_VINTAGE
    assert inspect.signature(siting.plan).parameters["vintage"].default == schema.DEFAULT_VINTAGE
    parser = cli.build_parser()
    for argv in (["summary"], ["focus", "--focus", "cancer"], ["plan", "--area", "E54000008"],
                 ["export-map", "--level", "icb", "--area", "E54000008", "--out", "x.png"]):
        assert parser.parse_args(argv).vintage == schema.DEFAULT_VINTAGE, argv
