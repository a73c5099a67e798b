"""What a reviewer's decision would do to a track, shown before it is made.

The preview runs the real decision (consent.disputes.decide: the same checks, the same
resolution, the same `refresh_policies` the API's answers come from) inside a transaction that
is always rolled back, so the reviewer sees exactly what platforms would be told, and nothing is
written.
"""

from dataclasses import dataclass

from django.db import transaction

from consent.disputes import decide
from consent.models import AuditEntry, Claim, Dispute, EffectivePolicy
from consent.purposes import LABELS, PURPOSES, VALUE_LABELS, Purpose, Value

Action = AuditEntry.Action


@dataclass(frozen=True)
class PurposeEffect:
    """One purpose's value in force before and after a decision, as labels."""

    purpose: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class DecisionPreview:
    """What a decision would do: each purpose's value, the claims revoked, the claims kept."""

    effects: list[PurposeEffect]
    revoked: list[Claim]
    kept: list[Claim]
    disputed_after: bool


class _Rollback(Exception):
    def __init__(self, preview: DecisionPreview):
        self.preview = preview


def _values(track_id: int) -> dict[Purpose, str]:
    policy = EffectivePolicy.objects.filter(track_id=track_id).first()
    return {
        p: getattr(policy, p.value.replace("-", "_")) if policy else Value.UNSET for p in PURPOSES
    }


def preview_decision(
    reviewer,
    dispute: Dispute,
    outcome: str,
    *,
    upheld_claim: Claim | None = None,
    duplicate_of: Dispute | None = None,
) -> DecisionPreview:
    """What `decide` would do, computed by deciding for real and rolling everything back.

    The decision runs through the same code as the real one (the same checks, the same
    resolution and `refresh_policies`) inside a transaction that is always rolled back, so
    nothing is written, no event is numbered and no email leaves (callbacks queued for the
    commit are dropped with it). A refusal raises ConsentError as the decision would.
    """
    before = _values(dispute.track_id)
    try:
        with transaction.atomic():
            decided = decide(
                reviewer,
                dispute,
                outcome,
                "Preview of the decision.",
                upheld_claim=upheld_claim,
                duplicate_of=duplicate_of,
            )
            after = _values(decided.track_id)
            claims = list(decided.claims.select_related("creator").order_by("created_at"))
            revoked_ids = set(
                AuditEntry.objects.filter(
                    dispute=decided, action=Action.CLAIM_REVOKED, created_at__gte=decided.decided_at
                ).values_list("claim_id", flat=True)
            )
            policy = EffectivePolicy.objects.filter(track_id=decided.track_id).first()
            raise _Rollback(
                DecisionPreview(
                    effects=[
                        PurposeEffect(
                            LABELS[p], VALUE_LABELS[Value(before[p])], VALUE_LABELS[Value(after[p])]
                        )
                        for p in PURPOSES
                    ],
                    revoked=[c for c in claims if c.pk in revoked_ids],
                    kept=[c for c in claims if c.pk not in revoked_ids and c.is_active],
                    disputed_after=bool(policy and policy.disputed),
                )
            )
    except _Rollback as done:
        return done.preview
