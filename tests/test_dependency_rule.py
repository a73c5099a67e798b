"""Dependencies point inward (docs/architecture.md, "The dependency rule"): `consent` imports
neither face, and the two faces, `registry` and `api`, do not import each other. The site's one
URLconf mounts the API's by its dotted name, which is wiring, not an import."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"consent": {"registry", "api"}, "api": {"registry"}, "registry": {"api"}}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever in the module the import is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_only_what_the_dependency_rule_allows(package):
    breaches = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: found for path, found in breaches.items() if found} == {}


def test_the_rule_is_checked_against_real_imports():
    """The reader sees imports inside functions too, where a late import would hide."""
    found = imported_packages(ROOT / "registry" / "urls.py")
    assert "django" in found and "registry" in found
