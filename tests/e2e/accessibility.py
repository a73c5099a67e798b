"""WCAG 2.1 AA checks with axe-core, which axe-playwright-python carries inside the package.

`assert_accessible(page)` runs axe on the page as it is now and fails with every violation's
rule, impact, help text and the offending elements' selectors, so a failure says what to fix.
"""

from axe_playwright_python.sync_playwright import Axe

# The WCAG 2.0/2.1 A and AA rules; best-practice rules are advice, not the standard.
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

_axe = Axe()


def violations(page) -> list[dict]:
    return _axe.run(page, options=WCAG_21_AA | {"resultTypes": ["violations"]}).response[
        "violations"
    ]


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}; at {targets}"
        )
    return "\n".join(lines)


def assert_accessible(page) -> None:
    found = violations(page)
    assert not found, f"{page.url} fails WCAG 2.1 AA:\n{describe(found)}"
