"""A module's `_private` names are its own: no other module of the application reaches for them.

What one module needs of another is public and documented there, so a change inside a module
cannot silently break a caller it did not know about.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("consent", "registry", "api")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def reaches_for_private_names(path: Path) -> list[str]:
    """Where the file imports another module's private name or reads one off another module."""
    here = _module_of(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    modules: set[str] = set()  # local names bound to one of our modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _ours(node.module):
            if node.module == here:
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                elif _is_module(f"{node.module}.{alias.name}"):
                    # `from consent import services` binds a module, whose attributes are its
                    # names; a class's private attributes (`Claim._meta`) are not a module's.
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name) and alias.name != here:
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_imports_or_reads_another_modules_private_names():
    offences = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            if found := reaches_for_private_names(path):
                offences[str(path.relative_to(ROOT))] = found
    assert not offences, offences


def test_the_check_sees_both_ways_of_reaching_for_a_private_name(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "__init__.py").write_text("")
    (tmp_path / "consent" / "collisions.py").write_text("")
    offender = tmp_path / "consent" / "example.py"
    offender.write_text(
        "from consent.services import _chunks, refresh_policies\n"
        "from consent import collisions\n"
        "from consent.models import Claim\n"
        "collisions._reason(None)\n"
        "collisions.settle([])\n"
        "Claim._meta\n"
    )
    assert reaches_for_private_names(offender) == [
        "line 1: from consent.services import _chunks",
        "line 4: collisions._reason",
    ]
