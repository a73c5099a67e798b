"""The CAWG training-and-data-mining assertion, and its legacy C2PA 1.x twin.

STANDARDS.md, "CAWG training-and-data-mining assertion": label `cawg.training-mining` with
`cawg.*` entry keys, and the C2PA 1.x label `c2pa.training-mining` with `c2pa.*` keys; both are
emitted so that readers of either version find the choice. Unset purposes have no entry.
"""

from consent.standards import rules
from consent.standards.policy import Policy

CAWG_LABEL = "cawg.training-mining"
C2PA_LABEL = "c2pa.training-mining"


def training_mining_entries(policy: Policy, prefix: str = "cawg") -> dict[str, dict[str, str]]:
    entries = {}
    for name, purpose in rules.CAWG_ENTRIES:
        entry = rules.cawg_use(policy, purpose)
        if entry is not None:
            entries[f"{prefix}.{name}"] = entry
    return entries


def cawg_assertions(policy: Policy) -> list[dict[str, object]]:
    """Both assertions, ready to place in a C2PA manifest's assertion list."""
    return [
        {"label": CAWG_LABEL, "data": {"entries": training_mining_entries(policy, "cawg")}},
        {"label": C2PA_LABEL, "data": {"entries": training_mining_entries(policy, "c2pa")}},
    ]
