"""Every setting is listed once in ``dashboard.settings.SETTINGS``, documented in README.md, and read nowhere
but in dashboard/settings.py (datasette keeps the same promise for its settings)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from dashboard.settings import ENV, ROOT, SETTINGS, Setting

README = ROOT / "README.md"
SHIPPED = sorted((ROOT / "data").glob("*.toml"))
# Where the app's code lives; scripts start the app and may hand it settings, but read none themselves.
APP_CODE = [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "loaders").rglob("*.py"), *(ROOT / "pages").rglob("*.py"),
            ROOT / "streamlit_app.py", ROOT / "router.py"]
SCRIPTS = sorted((ROOT / "scripts").rglob("*.py"))


def _readme_rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## 配置项\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ")]


def _shown(value: object) -> str:
    """A default as the README writes it: as it would be written in the TOML file."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: f"{s.source} {s.key}")
def test_each_setting_has_its_row_in_the_readme(setting: Setting):
    rows = [r for r in _readme_rows() if f"| `{setting.key}` |" in r]
    assert len(rows) == 1, f"README.md「配置项」应有且只有一行写 `{setting.key}`"
    where, _, default, meaning = [cell.strip() for cell in rows[0].strip("|").split(" | ")]
    assert where == (ENV if setting.source == ENV else f"`{setting.source}`")
    assert meaning == setting.meaning
    if setting.default not in (None, "", ()):
        assert default.startswith(_shown(setting.default))


def test_the_readme_lists_no_setting_that_is_not_registered():
    keys = {s.key for s in SETTINGS}
    listed = {m.group(1) for r in _readme_rows() if (m := re.search(r"^\| [^|]+ \| `([^`]+)` \|", r))}
    assert listed == keys


def _keys(doc: dict) -> set[str]:
    """``[section] key`` for every key of a parsed TOML file, ``[[array]] key`` for arrays of tables."""
    found = set()
    for name, value in doc.items():
        if isinstance(value, dict):
            found |= {f"[{name}] {key}" for key in value}
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            found |= {f"[[{name}]] {key}" for item in value for key in item}
        else:
            found.add(name)
    return found


def test_the_shipped_files_are_the_registered_ones():
    assert {p.relative_to(ROOT).as_posix() for p in SHIPPED} == {
        s.source for s in SETTINGS if s.source.startswith("data/")}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_key_of_a_shipped_file_is_registered_and_every_registered_key_is_there(path: Path):
    source = path.relative_to(ROOT).as_posix()
    with path.open("rb") as fh:
        found = _keys(tomllib.load(fh))
    registered = {s.key for s in SETTINGS if s.source == source}
    assert found - registered == set(), "键不在 dashboard/settings.py 的 SETTINGS 中"
    assert registered - found == set(), "SETTINGS 登记的键不在随附文件中"


def test_the_secrets_example_shows_every_secret():
    example = (ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8")
    for setting in SETTINGS:
        if setting.source == ".streamlit/secrets.toml":
            section, key = re.fullmatch(r"\[(\w+)\] (\w+)", setting.key).groups()
            assert f"[{section}]" in example and re.search(rf"^# {key} = ", example, re.MULTILINE)


def _reads(path: Path, copying_allowed: bool) -> list[str]:
    """Where ``path`` reads a TOML file or the environment: ``tomllib``, ``os.getenv``, ``os.environ``.
    With ``copying_allowed``, handing the environment on to a child (``{**os.environ, ...}``) and setting a
    variable (``os.environ[...] = ...``) are not reads."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "tomllib" for a in node.names):
            found.append(f"{path.name}:{node.lineno} import")
        elif isinstance(node, ast.ImportFrom) and (node.module == "tomllib" or (
                node.module == "os" and {"environ", "getenv"} & {a.name for a in node.names})):
            found.append(f"{path.name}:{node.lineno} import")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr == "getenv":
                found.append(f"{path.name}:{node.lineno} os.getenv")
            elif node.attr == "environ":
                parent = parents.get(node)
                copied = isinstance(parent, ast.Dict) and None in parent.keys and node in parent.values
                written = isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store)
                if not (copying_allowed and (copied or written)):
                    found.append(f"{path.name}:{node.lineno} os.environ")
    return found


def test_the_read_finder_finds_reads(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nimport tomllib\nfrom os import getenv\nos.environ.get('X')\nos.getenv('Y')\n"
                     "env = {**os.environ, 'A': '1'}\nos.environ['B'] = '2'\nvalue = os.environ['C']\n", encoding="utf-8")
    assert sorted(_reads(probe, copying_allowed=True)) == [
        "probe.py:2 import", "probe.py:3 import", "probe.py:4 os.environ", "probe.py:5 os.getenv", "probe.py:8 os.environ"]
    assert sorted(_reads(probe, copying_allowed=False)) == [
        "probe.py:2 import", "probe.py:3 import", "probe.py:4 os.environ", "probe.py:5 os.getenv",
        "probe.py:6 os.environ", "probe.py:7 os.environ", "probe.py:8 os.environ"]


def test_only_settings_reads_toml_files_or_the_environment():
    readers = {path.relative_to(ROOT).as_posix(): _reads(path, copying_allowed=False) for path in APP_CODE}
    readers = {name: found for name, found in readers.items() if found}
    assert set(readers) == {"dashboard/settings.py"}, readers


def test_scripts_hand_settings_to_the_app_but_read_none():
    assert {path.name: found for path in SCRIPTS if (found := _reads(path, copying_allowed=True))} == {}
