"""Signals the domain sends; other apps connect to them without the domain knowing who listens."""

from django.dispatch import Signal

# Sent after a transaction that wrote change events has committed, with `last_sequence`.
changes_committed = Signal()
