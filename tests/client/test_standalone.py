"""The client ships to platforms on its own: it imports only the standard library, itself, and
the optional packages it names (pyarrow for Parquet, datadiligence for its rule)."""

import ast
import sys
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client"
OPTIONAL = {"pyarrow", "datadiligence"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted((CLIENT / "registry_client").glob("*.py")), ids=str)
def test_the_client_imports_nothing_of_the_project(path):
    outside = imports(path) - set(sys.stdlib_module_names) - {"registry_client"} - OPTIONAL
    assert outside == set(), path


def test_the_package_is_typed_and_has_no_dependencies():
    import tomllib

    project = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == []
    assert project["scripts"]["registry-client"] == "registry_client.cli:main"
    assert (CLIENT / "registry_client" / "py.typed").exists()
