"""Where things live: the rule modules take plain inputs and reach neither Streamlit nor the store."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from dashboard.settings import ROOT

PURE = ("dashboard/completeness.py", "dashboard/metrics.py", "dashboard/accountability.py", "dashboard/coverage.py",
        "dashboard/targets.py")
FORBIDDEN = ("streamlit", "sqlalchemy", "dashboard.models", "dashboard.catalog", "dashboard.facts", "dashboard.store")


def _imports(path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (``from dashboard import facts`` counts as dashboard.facts)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def _forbidden(modules) -> set[str]:
    return {m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)}


def test_the_import_finder_sees_each_spelling(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import sqlalchemy.orm\nfrom dashboard import facts, months\n"
                     "def f():\n    from dashboard.store import make_engine\n    import streamlit as st\n",
                     encoding="utf-8")
    assert _forbidden(_imports(probe)) == {"sqlalchemy.orm", "dashboard.facts", "dashboard.store.make_engine",
                                           "dashboard.store", "streamlit"}


@pytest.mark.parametrize("name", PURE)
def test_rule_modules_import_neither_streamlit_nor_the_store(name):
    assert _forbidden(_imports(ROOT / name)) == set()


@pytest.mark.parametrize("name", PURE)
def test_nor_do_the_modules_they_import(name):
    module = name.removesuffix(".py").replace("/", ".")
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert _forbidden(loaded.stdout.split()) == set()
