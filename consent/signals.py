"""Signals the domain sends; other apps connect to them without the domain knowing who listens."""

from django.dispatch import Signal

# Sent after a transaction that wrote change events has committed, with `last_sequence`.
changes_committed = Signal()

# Sent inside the transaction that changed a dispute, with `dispute`, `event` (an
# AuditEntry.Action value) and `message` (what the reviewer wrote, or ""). Receivers that act
# outside the database (emails) defer their work with transaction.on_commit, so a rolled-back
# change never notifies anyone.
dispute_changed = Signal()

# Sent inside the transaction that approved, refused or suspended a platform, with `platform`
# and `event` ("approved", "refused" or "suspended"). Receivers that email defer their work with
# transaction.on_commit, like those of `dispute_changed`.
platform_reviewed = Signal()

# Sent after a transaction that wrote collision notices (consent.collisions) has committed, with
# `notice_ids`: the registry emails each existing claimant.
notices_created = Signal()

# Sent inside the transaction that changed a link proof (consent.proofs), with `proof` and
# `event`: "lapsing" (the proof was found missing; its grace period starts) or "ended" (still
# missing when the grace period ended, so its verifications ended). Receivers that email defer
# their work with transaction.on_commit.
proof_changed = Signal()
