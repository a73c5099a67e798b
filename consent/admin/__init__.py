"""The admins' desk: browse everything; declarations and change events are read-only records.

Disputes are reviewed here: a queue, and a review page whose buttons post to the desk's own
views, which call `consent.disputes` so every decision is recorded and reaches platforms as
change events. Claims are verified by review the same way, on each claim's page, and a link a
verified owner hid is restored through `consent.links.restore_link`. Nothing about a dispute
or a claim is edited as a raw row.

Importing this package registers every ModelAdmin of the app, one module per desk:

- `records`: the append-only records (ReadOnlyAdmin, declarations, policies, change log, audit);
- `catalogue`: creators (suspension), tracks, track links (restoring a hidden one);
- `verification_desk`: claims and their verification by review, verifications, review requests;
- `dispute_desk`: the dispute queue and review page, notices, statements, evidence.
"""

from . import catalogue, dispute_desk, records, verification_desk
from .records import ReadOnlyAdmin

__all__ = ["ReadOnlyAdmin", "catalogue", "dispute_desk", "records", "verification_desk"]
