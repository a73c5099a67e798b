"""The registry's domain: who claims which track, what they declared, and what is in force.

Declarations are the one source of truth and are append-only (a database trigger refuses UPDATE
and DELETE, see migration 0002). EffectivePolicy is the materialized "now" derived from them and
ChangeEvent the ordered log of every change of it; both are written by `consent.services` in the
same transaction as the declaration that causes them.

The models live in one module per feature and are all named here, so `from consent.models
import Claim` is the one way to reach them:

- `catalogue`: Creator, Track, TrackLink, Claim, and their querysets and managers;
- `trust`: how far a claim is proven (ClaimVerification, ProfileProof, VerificationRequest);
- `disputes`: Dispute, Notice, DisputeStatement, Evidence, and the AuditEntry log;
- `policies`: Declaration, EffectivePolicy, ChangeEvent, SequenceCounter, CatalogueJob;
- `questions`: the policy questions (PolicyQuestions, POLICIES, TRACK_POLICIES, POLICY_FIELDS);
- `platforms`: Platform, Acknowledgement;
- `feeds`: FeedFile, FeedHost and FeedState, the public feeds as last built;
- `transparency`: the public log's LogEntry, LogHash, Checkpoint and Cosignature, and the
  ReceiptKey of every key that signed receipts.
"""

from .catalogue import (
    Claim,
    ClaimQuerySet,
    Creator,
    Track,
    TrackLink,
    TrackQuerySet,
    VisibleLinks,
)
from .disputes import (
    AuditEntry,
    Dispute,
    DisputeQuerySet,
    DisputeStatement,
    Evidence,
    Notice,
    evidence_path,
)
from .feeds import FeedFile, FeedHost, FeedState
from .platforms import Acknowledgement, Platform
from .policies import (
    PURPOSE_CHOICES,
    VALUE_CHOICES,
    CatalogueJob,
    ChangeEvent,
    Declaration,
    EffectivePolicy,
    EffectivePolicyQuerySet,
    SequenceCounter,
)
from .questions import POLICIES, POLICY_FIELDS, TRACK_POLICIES, AsksPolicies, PolicyQuestions
from .transparency import Checkpoint, Cosignature, LogEntry, LogHash, ReceiptKey
from .trust import (
    ClaimVerification,
    ClaimVerificationQuerySet,
    ProfileProof,
    VerificationRequest,
)

__all__ = [
    "FeedFile",
    "FeedHost",
    "FeedState",
    "Checkpoint",
    "Cosignature",
    "LogEntry",
    "LogHash",
    "POLICIES",
    "POLICY_FIELDS",
    "PURPOSE_CHOICES",
    "TRACK_POLICIES",
    "VALUE_CHOICES",
    "Acknowledgement",
    "AsksPolicies",
    "AuditEntry",
    "CatalogueJob",
    "ChangeEvent",
    "Claim",
    "ClaimQuerySet",
    "ClaimVerification",
    "ClaimVerificationQuerySet",
    "Creator",
    "Declaration",
    "Dispute",
    "DisputeQuerySet",
    "DisputeStatement",
    "EffectivePolicy",
    "EffectivePolicyQuerySet",
    "Evidence",
    "Notice",
    "Platform",
    "PolicyQuestions",
    "ProfileProof",
    "ReceiptKey",
    "SequenceCounter",
    "Track",
    "TrackLink",
    "TrackQuerySet",
    "VerificationRequest",
    "VisibleLinks",
    "evidence_path",
]
