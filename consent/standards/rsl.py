"""RSL 1.0 (Really Simple Licensing) documents.

`<rsl xmlns="https://rslstandard.org/rsl">` holds one `<content url>` per asset; each has one or
more `<license>` elements, alternatives a licensee may choose between. A license holds at most one
`<permits type="usage">` and one `<prohibits type="usage">`, each a space-separated token list
(RSL 1.0 §3.5), an optional `<payment>`, and the content has a `<terms>` link.

How RSL reads a licence decides what the registry may write (docs/standards.md, "RSL 1.0"):

- A `<license>` without `<payment>` is free (§3.7), and a `<prohibits>` list alone leaves every
  other use permitted (§3.5). So the free licence is written only when something is `allow`, and
  always with a `<permits>` naming exactly the allowed tokens; denied tokens are repeated in its
  `<prohibits>`.
- A use that no licence permits is unlicensed (§3.1.1, §4.3). A content whose policy allows
  nothing and offers nothing for a fee is therefore left out: its only licence would be a grant.
- A usage both permitted and prohibited in one content is not licensed at all (§3.1.1), so a
  licence-only token is never prohibited in the free licence; the paid licences permit it.
- Licence-only tokens are offered against a payment only when someone can be paid: the terms
  (`<custom>`, §3.9, and `<terms>`, §3.17) or a contact (`<legal type="contact">`, §3.13). The
  payment type says what is paid for (§3.7): `training` for `ai-train`, `use` (each time the
  content contributes to an AI output) for `ai-input`, none for anything else.

Serialized with `xml.etree`, which escapes every text and attribute.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from consent.purposes import Value
from consent.standards import rules
from consent.standards.paths import url_pattern
from consent.standards.policy import Licence, Policy

RSL_NAMESPACE = "https://rslstandard.org/rsl"

# RSL 1.0 §3.7 payment types for the tokens whose per-use payment RSL names; `None` writes a
# `<payment>` without a type: a licence on the artist's terms, paid as those terms say.
PAYMENT_TYPES: dict[str, str] = {"ai-train": "training", "ai-input": "use"}


@dataclass(frozen=True)
class RslContent:
    """An asset (a URL, or a path pattern on the host serving the file) and its policy.

    `exact` is for one registered link (RFC 9309 `$`); the registry's own `/t/<id>/` pages and
    a creator's whole site (`/`) are prefixes.
    """

    url: str
    policy: Policy
    exact: bool = True


def _usage(parent: ET.Element, element: str, tokens: list[str]) -> None:
    if tokens:
        ET.SubElement(parent, element, type="usage").text = " ".join(tokens)


def _offered(licence: Licence | None) -> bool:
    """Whether a licence names someone to obtain it from: its terms or a contact address."""
    return licence is not None and bool(licence.terms_link or licence.mailto)


def _paid(content: ET.Element, tokens: list[str], denied: list[str], licence: Licence) -> None:
    """One paid licence per payment type, each naming the terms and the contact."""
    groups: dict[str | None, list[str]] = {}
    for token in tokens:
        groups.setdefault(PAYMENT_TYPES.get(token), []).append(token)
    for payment_type, permitted in groups.items():
        paid = ET.SubElement(content, "license")
        _usage(paid, "permits", permitted)
        _usage(paid, "prohibits", denied)
        attributes = {"type": payment_type} if payment_type else {}
        payment = ET.SubElement(paid, "payment", attributes)
        if licence.terms_link:
            ET.SubElement(payment, "custom").text = licence.terms_link
        if licence.mailto:
            # §3.13: `contact` is a URL or an email address, never a `<terms>` link.
            ET.SubElement(paid, "legal", type="contact").text = licence.mailto.removeprefix(
                "mailto:"
            )


def _content(root: ET.Element, item: RslContent) -> None:
    usage = rules.rsl_usage(item.policy)
    allowed = [token for token, value in usage.items() if value == Value.ALLOW]
    denied = [token for token, value in usage.items() if value == Value.DENY]
    licence = item.policy.licence
    licensed = [token for token, value in usage.items() if value == Value.LICENSE]
    offered = licensed if _offered(licence) else []
    if not allowed and not offered:
        return
    content = ET.SubElement(root, "content", url=url_pattern(item.url, item.exact))
    if allowed:
        free = ET.SubElement(content, "license")
        _usage(free, "permits", allowed)
        _usage(free, "prohibits", denied)
        ET.SubElement(free, "payment", type="free")
    if offered and licence is not None:
        _paid(content, offered, denied, licence)
        if licence.terms_link:
            ET.SubElement(content, "terms").text = licence.terms_link


def rsl_xml(
    contents: Iterable[RslContent], *, max_bytes: int | None = None, overflow_note: str = ""
) -> str:
    """The document. Contents that license nothing are left out, never guessed.

    With `max_bytes`, whole `<content>` elements are kept in the order given until the next
    would not fit; the document then ends with a comment saying how many it holds and
    `overflow_note` (where the rest is). RSL has no way to continue a document in another, so a
    cut licence is the best a bounded file can say; every content left out keeps its own licence.
    """
    root = ET.Element("rsl", xmlns=RSL_NAMESPACE)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    # The fixed parts, and a comment of the size the note will have, are counted first.
    used = len(head) + 120 + len(overflow_note.encode("utf-8"))
    written = total = 0
    for item in contents:
        before = len(root)
        _content(root, item)
        if len(root) == before:
            continue
        total += 1
        if max_bytes is None:
            continue
        if written < total - 1:
            root.remove(root[-1])  # already cut: only counted
            continue
        element = root[-1]
        ET.indent(element, level=1)
        size = len(ET.tostring(element, encoding="unicode").encode("utf-8")) + 4
        if used + size > max_bytes:
            root.remove(element)
            continue
        used += size
        written += 1
    ET.indent(root)
    text = head + ET.tostring(root, encoding="unicode") + "\n"
    if max_bytes is not None and written < total:
        note = f"Cut on purpose: {written} of {total} contents fit in {max_bytes // 1024} KiB."
        # An XML comment may not hold "--".
        words = f"{note} {overflow_note}".strip().replace("--", "- -")
        text += f"<!-- {words} -->\n"
    return text
