"""The layout holds: the domain is pure, services reach AWS only through ports, no import cycle, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "shared"
PACKAGE = ROOT / "oms"
MAX_LINES = 400
AWS_CLIENTS = ("botocore", "boto3", "mypy_boto3")
# The plumbing services must not reach: AWS clients, DynamoDB repositories, concrete adapters.
PLUMBING = ("oms.aws", "oms.store", "oms.adapters", "oms.bootstrap", "oms.settings")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """Every module `name` imports, at load time or lazily in a function; not under TYPE_CHECKING."""
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()
    skip = {id(n) for node in ast.walk(tree) if _type_checking(node) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: the package imports absolutely"
            base = node.module or ""
            submodules = {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES}
            found |= submodules
            if len(submodules) < len(node.names):  # names from the module itself, not only its submodules
                found.add(base)
    return found


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def internal(name: str) -> set[str]:
    return {m for m in imports(name) if m in MODULES and m != name}


def reach(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for dep in internal(todo.pop()) - seen:
            seen.add(dep)
            todo.append(dep)
    return seen


def test_no_module_of_the_package_takes_part_in_an_import_cycle() -> None:
    cycles = sorted(name for name in MODULES if name in reach(name))
    assert cycles == []


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("oms.domain")])
def test_the_domain_does_no_io_and_knows_no_aws(name: str) -> None:
    outside = {m for m in imports(name) if m.startswith(("oms.", *AWS_CLIENTS)) and not m.startswith("oms.domain")}
    # What the domain may use beyond itself: the clock's formats, id minting, and the tax port's value types.
    assert outside <= {"oms.clock", "oms.ids", "oms.ports", "oms.ports.tax"}, outside


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("oms.services")])
def test_services_reach_aws_only_through_ports(name: str) -> None:
    reached = reach(name) | {name}
    assert not {m for m in reached if m.startswith(PLUMBING)}, sorted(m for m in reached if m.startswith(PLUMBING))
    direct = {m for r in reached for m in imports(r) if m.startswith(AWS_CLIENTS)}
    assert direct == set()


def test_no_module_is_longer_than_a_reader_holds_in_mind() -> None:
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_service_tests_stand_on_the_memory_store_not_on_moto() -> None:
    services = Path(__file__).resolve().parents[1] / "services"
    reached = {
        alias
        for path in services.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
    }
    assert not {m for m in reached if m.split(".")[0] in ("moto", "boto3", "botocore")}
    assert not {m for m in reached if m.startswith("tests.functions")}  # whose conftest starts moto
