"""The dependency rule between layers (see docs/architecture.md), checked on the source.

    core ← squads ← metrics.records ← metrics.kpis ← metrics (app wiring, demo, commands) ← dashboards

An arrow means "may be imported by": a module may import its own layer and the layers to
its left, never one to its right. `audit` may import `core`, `squads` and `metrics.records`
(it listens to the records' signals) and nothing in `metrics` may import `audit`. The apps
beside `dashboards` (`sources`, `reviews`, `alerts`, `bets`) may import only the public modules of
`metrics.kpis` and `metrics.records`. `productops.settings` imports no app at all.

Every `import` counts, also those inside functions. A small AST walk, no extra dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Layers, lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("squads",),
    ("metrics.records",),
    ("metrics.kpis",),
    ("metrics",),  # metrics.models/admin/apps (app wiring), metrics.demo, metrics.management
    ("dashboards", "sources", "reviews", "alerts", "bets"),
]
PROJECT_PACKAGES = (
    "core",
    "squads",
    "metrics",
    "dashboards",
    "sources",
    "reviews",
    "alerts",
    "bets",
    "audit",
    "productops",
)
#: What the apps beside dashboards may use of the engine and the records.
PUBLIC_MODULES = {
    "metrics.models",
    "metrics.kpis.catalog",
    "metrics.kpis.periods",
    "metrics.kpis.selectors",
    "metrics.records.models",
    "metrics.records.services",
    "metrics.records.signals",
}
NEW_APPS = ("sources", "reviews", "alerts", "bets")
AUDIT_MAY_IMPORT = ("core", "squads", "metrics.records", "audit")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported_modules(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, module) for every project module `source` imports, `from a import b` naming a.b
    when b is a module."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if _is_module(candidate) else base


def violation(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported`, or None when it may."""
    top, imported_top = importer.split(".")[0], imported.split(".")[0]
    if imported_top not in PROJECT_PACKAGES:
        return None  # the standard library and third-party packages
    if _within(importer, "productops.settings"):
        return None if imported_top == "productops" else "settings import no app"
    if _within(importer, "audit"):
        ok = any(_within(imported, allowed) for allowed in AUDIT_MAY_IMPORT)
        return None if ok else "audit may import only core, squads and metrics.records"
    if imported_top == "audit":
        return None if top == "productops" else "only audit itself and the project package import audit"
    if top == "productops":
        return None  # the project package (urls, health, celery) sits on top
    if top in NEW_APPS and imported_top == "metrics" and imported not in PUBLIC_MODULES:
        return "new apps use only the public modules of metrics.kpis / metrics.records"
    if top == imported_top and top != "metrics":
        return None  # inside one app
    mine, theirs = layer_of(importer), layer_of(imported)
    if mine is not None and theirs is not None and theirs > mine:
        return f"layer {LAYERS[mine][0]} may not import layer {LAYERS[theirs][0]}"
    return None


def project_files() -> list[Path]:
    files = []
    for package in PROJECT_PACKAGES:
        if (ROOT / package).is_dir():
            files += sorted((ROOT / package).rglob("*.py"))
    return files


def violations() -> list[str]:
    found = []
    for path in project_files():
        module = module_name(path)
        for line, imported in imported_modules(path.read_text(), module, path.name == "__init__.py"):
            reason = violation(module, imported)
            if reason:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}: {reason}")
    return found


def test_the_source_follows_the_layer_rule() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("squads.models", "metrics.records.models"),  # squads below records
        ("core.scope", "squads.models"),
        ("metrics.records.ingest.importer", "metrics.kpis.dirty"),  # records below the engine
        ("metrics.records.services", "audit.services"),  # metrics never imports audit
        ("metrics.kpis.rollup", "dashboards.selectors"),
        ("metrics.kpis.catalog", "metrics.models"),  # the facade sits above the engine
        ("audit.signals", "metrics.kpis.models"),
        ("productops.settings", "metrics.kpis.tasks"),
        ("reviews.pages", "metrics.kpis.rollup"),  # new apps: public modules only
    ],
)
def test_a_violating_import_is_reported(importer: str, imported: str) -> None:
    assert violation(importer, imported) is not None


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("metrics.kpis.frames", "metrics.records.models"),
        ("metrics.records.models", "core.loaded_values"),
        ("dashboards.tiles", "metrics.kpis.catalog"),
        ("audit.signals", "metrics.records.signals"),
        ("productops.urls", "audit.forms"),
        ("reviews.pages", "metrics.kpis.selectors"),
        ("metrics.management.commands.seed_demo", "metrics.demo.generator"),
    ],
)
def test_an_allowed_import_is_not_reported(importer: str, imported: str) -> None:
    assert violation(importer, imported) is None


def test_imports_inside_functions_count() -> None:
    source = "def f():\n    from metrics.kpis.tasks import rollup_dirty\n"
    assert [m for _, m in imported_modules(source, "squads.models", False)] == ["metrics.kpis.tasks"]
