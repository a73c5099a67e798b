"""The CAWG training-and-data-mining assertion, and its legacy C2PA 1.x twin.

docs/standards.md, "CAWG and C2PA": label `cawg.training-mining` with `cawg.*` entry keys is the
current assertion; a licence-only purpose is `constrained` there, with `constraint_info` naming
the terms. The legacy C2PA 1.x label `c2pa.training-mining` with `c2pa.*` keys is kept for older
readers, which (Spawning's among them) treat `constrained` as allowed, so it writes a licence-only
purpose as `notAllowed`: it says `allowed` only where the artist allowed. Unset purposes have no
entry in either.
"""

from consent.standards import rules
from consent.standards.policy import Policy

CAWG_LABEL = "cawg.training-mining"
C2PA_LABEL = "c2pa.training-mining"


def training_mining_entries(policy: Policy, prefix: str = "cawg") -> dict[str, dict[str, str]]:
    """The entries of the `cawg.` assertion, or with prefix `c2pa` those of the legacy twin."""
    use = rules.c2pa_use if prefix == "c2pa" else rules.cawg_use
    entries = {}
    for name, purpose in rules.CAWG_ENTRIES:
        entry = use(policy, purpose)
        if entry is not None:
            entries[f"{prefix}.{name}"] = entry
    return entries


def cawg_assertions(policy: Policy) -> list[dict[str, object]]:
    """Both assertions, ready to place in a C2PA manifest's assertion list (the legacy one last)."""
    return [
        {"label": CAWG_LABEL, "data": {"entries": training_mining_entries(policy, "cawg")}},
        {"label": C2PA_LABEL, "data": {"entries": training_mining_entries(policy, "c2pa")}},
    ]
