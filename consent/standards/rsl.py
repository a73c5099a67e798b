"""RSL 1.0 (Really Simple Licensing) documents.

`<rsl xmlns="https://rslstandard.org/rsl">` holds one `<content url>` per asset; each has one or
more `<license>` elements, alternatives a licensee may choose between. A license holds at most one
`<permits type="usage">` and one `<prohibits type="usage">`, each a space-separated token list
(RSL 1.0 §3.5), an optional `<payment>`, and the content has a `<terms>` link.

The registry writes, per content: a free license that permits what is allowed and prohibits
everything else that was declared; and, when some uses are licence-only, a second license that
permits those uses against a payment whose `<custom>` link is the artist's terms or contact.
Serialized with `xml.etree`, which escapes every text and attribute.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from consent.purposes import Value
from consent.standards import rules
from consent.standards.paths import url_pattern
from consent.standards.policy import Policy

RSL_NAMESPACE = "https://rslstandard.org/rsl"


@dataclass(frozen=True)
class RslContent:
    """An asset (a URL, or a path pattern on the host serving the file) and its policy."""

    url: str
    policy: Policy
    exact: bool = True


def _usage(parent: ET.Element, element: str, tokens: list[str]) -> None:
    if tokens:
        ET.SubElement(parent, element, type="usage").text = " ".join(tokens)


def _content(root: ET.Element, item: RslContent) -> None:
    usage = rules.rsl_usage(item.policy)
    if not usage:
        return
    allowed = [token for token, value in usage.items() if value == Value.ALLOW]
    denied = [token for token, value in usage.items() if value == Value.DENY]
    licensed = [token for token, value in usage.items() if value == Value.LICENSE]
    content = ET.SubElement(root, "content", url=url_pattern(item.url, item.exact))
    free = ET.SubElement(content, "license")
    _usage(free, "permits", allowed)
    _usage(free, "prohibits", denied + licensed)
    if allowed:
        ET.SubElement(free, "payment", type="free")
    if not licensed:
        return
    licence = item.policy.licence
    link = licence.url if licence else ""
    paid = ET.SubElement(content, "license")
    _usage(paid, "permits", licensed)
    _usage(paid, "prohibits", denied)
    # `training` is RSL's payment for training use; anything wider is paid per `use`.
    payment = ET.SubElement(paid, "payment", type="training" if licensed == ["ai-train"] else "use")
    if link:
        ET.SubElement(payment, "custom").text = link
        ET.SubElement(content, "terms").text = link


def rsl_xml(contents: Iterable[RslContent]) -> str:
    """The document. Contents whose policy states no RSL usage are left out, never guessed."""
    root = ET.Element("rsl", xmlns=RSL_NAMESPACE)
    for item in contents:
        _content(root, item)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
