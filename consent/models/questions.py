"""The questions the site asks of effective policies, defined once as conditions on
EffectivePolicy's value columns, and the queryset methods that name them."""

from collections.abc import Iterable
from functools import reduce
from operator import and_, or_

from django.db.models import Q

from consent.purposes import AI_OPT_OUT, AI_TRAINING, PURPOSES, RESERVING, Purpose, Value

# The column of EffectivePolicy that holds each purpose's value.
POLICY_FIELDS: dict[Purpose, str] = {p: p.value.replace("-", "_") for p in PURPOSES}


class PolicyQuestions:
    """The questions the site asks of effective policies, each defined once, as conditions on
    EffectivePolicy's value columns. `PolicyQuestions("policy__")` asks them of tracks.

    Pages, counts and feeds filter with these (through the querysets below, or as `filter=` of an
    aggregate); the API answers the same questions in Python with `consent.standards.Policy` and
    `consent.standards.rules`, from the same `RESERVING` and `AI_TRAINING`.
    """

    def __init__(self, via: str = "") -> None:
        self.via = via

    def _is(self, purpose: Purpose, values: Iterable[Value]) -> Q:
        return Q(**{f"{self.via}{POLICY_FIELDS[purpose]}__in": sorted(v.value for v in values)})

    def reserving(self, *purposes: Purpose) -> Q:
        """Any of `purposes` is reserved: not allowed, or only under licence."""
        return reduce(or_, (self._is(p, RESERVING) for p in purposes))

    def reserving_ai_training(self) -> Q:
        """AI training is reserved: training any model, or training generative AI. The home
        page's count, and the compatible API's `optOut` (consent.standards.rules)."""
        return self.reserving(*AI_TRAINING)

    def denying_all(self, *purposes: Purpose) -> Q:
        """Every one of `purposes` is not allowed."""
        return reduce(and_, (self._is(p, [Value.DENY]) for p in purposes))

    def opted_out_of_ai(self) -> Q:
        """Everything the one-click AI opt-out denies is denied (AI_OPT_OUT)."""
        return self.denying_all(*AI_OPT_OUT)

    def licensing(self, *purposes: Purpose) -> Q:
        """Any of `purposes` (every purpose when none is named) is only under licence."""
        return reduce(or_, (self._is(p, [Value.LICENSE]) for p in purposes or PURPOSES))

    def stating_something(self) -> Q:
        """Some purpose is not `unset`: a feed writes a rule for it."""
        stated = [value for value in Value if value != Value.UNSET]
        return reduce(or_, (self._is(p, stated) for p in PURPOSES))

    def disputed(self) -> Q:
        return Q(**{f"{self.via}disputed": True})


POLICIES = PolicyQuestions()
TRACK_POLICIES = PolicyQuestions("policy__")


class AsksPolicies:
    """Queryset methods naming the policy questions (PolicyQuestions), for one model."""

    ask: PolicyQuestions

    def reserving(self, *purposes: Purpose):
        return self.filter(self.ask.reserving(*purposes))

    def reserving_ai_training(self):
        return self.filter(self.ask.reserving_ai_training())

    def denying_all(self, *purposes: Purpose):
        return self.filter(self.ask.denying_all(*purposes))

    def opted_out_of_ai(self):
        return self.filter(self.ask.opted_out_of_ai())

    def licensing(self, *purposes: Purpose):
        return self.filter(self.ask.licensing(*purposes))

    def stating_something(self):
        return self.filter(self.ask.stating_something())
