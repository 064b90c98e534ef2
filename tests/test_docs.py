"""The repository stands alone: the README and docs/ link only to files in the repository, and
the docs name every record kind (with its exact CSV header), every KPI and every command."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management import get_commands

from metrics.kpis.catalog import KPIS
from metrics.records.ingest.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>")


def test_readme_and_docs_link_only_inside_the_repository() -> None:
    for doc in DOCS:
        text = doc.read_text()
        assert "SPEC" not in text, f"{doc.name} points outside the repository"
        assert "shared/" not in text, f"{doc.name} points outside the repository"
        for match in LINK.finditer(text):
            target = match.group(1) or match.group(2)
            if target.startswith(("http://127.0.0.1", "http://localhost")):
                continue  # the running product itself
            assert not target.startswith(("http:", "https:", "//")), f"{doc.name}: external link {target}"
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(ROOT), f"{doc.name}: {target} is not in the repository"
            assert path.exists(), f"{doc.name}: {target} is not in the repository"


def test_readme_links_the_product_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ["records", "kpis", "commands", "api", "roles"]:
        assert f"(docs/{name}.md)" in readme


def test_records_doc_gives_every_kind_with_its_csv_header() -> None:
    text = (ROOT / "docs" / "records.md").read_text()
    for kind in KINDS.values():
        assert f"### `{kind.name}`" in text, f"docs/records.md does not describe {kind.name}"
        assert f"`{','.join(kind.column_names)}`" in text, f"docs/records.md: the CSV header of {kind.name}"


def test_kpis_doc_lists_every_kpi_with_family_unit_and_direction() -> None:
    rows: dict[str, list[str]] = {}
    for line in (ROOT / "docs" / "kpis.md").read_text().splitlines():
        if line.startswith("| `"):  # the catalog table comes first; later tables (DORA) are skipped
            cells = line.strip("|").split("|")
            rows.setdefault(cells[0].strip("` "), [c.strip() for c in cells[1:4]])
    for kpi in KPIS:
        assert rows.get(kpi.code) == [kpi.family.value, kpi.unit, kpi.direction.value], kpi.code


def test_commands_doc_names_every_project_command() -> None:
    text = (ROOT / "docs" / "commands.md").read_text()
    outside = ("django", "rest_framework", "whitenoise", "drf_spectacular")
    ours = [name for name, app in get_commands().items() if not app.startswith(outside)]
    assert ours
    for name in ours:
        assert f"`{name}" in text, f"docs/commands.md does not describe {name}"
