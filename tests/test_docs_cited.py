"""Every document the code and tests cite is in the repository, with the section they name."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"(docs/[a-z_]+\.md|[A-Z]{3,}\.md)(?:[^\n\"]{0,12}\"([^\"\n]+)\")?")


def cited() -> list[tuple[Path, str, str]]:
    found = []
    for folder in ("consent", "registry", "api", "tests", "bench", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            # A citation and its quoted section may be split across a line break.
            for match in CITATION.finditer(re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)):
                found.append((path, match.group(1), match.group(2) or ""))
    return found


def test_every_cited_document_is_in_the_repository():
    missing = {
        (str(p.relative_to(ROOT)), doc) for p, doc, _ in cited() if not (ROOT / doc).exists()
    }
    assert not missing, missing


def test_every_cited_section_exists():
    missing = set()
    for path, doc, section in cited():
        if section and (ROOT / doc).exists():
            headings = re.findall(r"^#+ (.+)$", (ROOT / doc).read_text(), re.M)
            if section not in headings:
                missing.add((str(path.relative_to(ROOT)), doc, section))
    assert not missing, missing
