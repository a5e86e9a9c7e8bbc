"""docs/security.md lists exactly the OWASP ASVS 5.0 requirements that tests prove: every
``@pytest.mark.asvs(...)`` tag has a row there, and every row has at least one test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
REQUIREMENT = re.compile(r"^\d+\.\d+\.\d+$")
ROW = re.compile(r"^\|\s*(\d+\.\d+\.\d+)\s*\|", re.MULTILINE)


def _asvs_tags(tree: ast.AST) -> set[str]:
    """The string arguments of every ``pytest.mark.asvs(...)`` / ``mark.asvs(...)`` call."""
    tags: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "asvs"
        ):
            tags.update(
                arg.value
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return tags


def tagged_requirements() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for tag in _asvs_tags(ast.parse(path.read_text(), filename=str(path))):
            found.setdefault(tag, set()).add(str(path.relative_to(ROOT)))
    return found


def test_tags_name_asvs_requirements():
    malformed = {tag for tag in tagged_requirements() if not REQUIREMENT.match(tag)}

    assert not malformed, f"ASVS tags look like 6.3.1: {sorted(malformed)}"


def test_docs_security_lists_exactly_the_requirements_tests_prove():
    documented = set(ROW.findall(DOC.read_text()))
    tagged = set(tagged_requirements())

    assert tagged - documented == set(), "tagged in tests but missing from docs/security.md"
    assert documented - tagged == set(), "listed in docs/security.md but no test is tagged"
