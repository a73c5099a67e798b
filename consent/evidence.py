"""What a party submits to be weighed: statements, files and links; their checks, limits, storage.

Disputes (consent.contests) and requests for verification by review
(consent.verification_requests) check what they receive here. A file's type comes from its
first bytes, and every limit (per party, per dispute, per day) is counted under a row lock.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Count, QuerySet, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from consent import filetypes
from consent.models import AuditEntry, Creator, Dispute, Evidence
from consent.services import ConsentError

MAX_STATEMENT_CHARS = 10_000
MAX_FILES = 10
MAX_LINKS = 10
Action = AuditEntry.Action


def required_text(text: str, what: str, limit: int = MAX_STATEMENT_CHARS) -> str:
    """`text` trimmed; refused when empty or over `limit` characters (`what` names it)."""
    text = text.strip()
    if not text:
        raise ConsentError(f"Write {what}: it cannot be empty.")
    if len(text) > limit:
        raise ConsentError(f"Keep {what} under {limit:,} characters.")
    return text


# --- Evidence checks ------------------------------------------------------------------------


@dataclass
class EvidenceFile:
    """An uploaded file as the domain needs it: its name as sent, its size and its bytes."""

    name: str
    size: int
    file: IO[bytes]
    content_type: str = field(default="", init=False)


def check_evidence_file(upload: EvidenceFile) -> None:
    """Refuse a file that is too large, of a type not accepted, or named as something else.

    The type comes from the first bytes, never from the name or the browser's label; a name
    whose extension promises another type is refused too, so nobody downloads "contract.pdf"
    and opens an executable.
    """
    name = upload.name
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ConsentError(
            f"“{name}” is larger than the {filesizeformat(settings.EVIDENCE_MAX_BYTES)} limit "
            "for evidence. Upload a smaller file, or give a link to it instead."
        )
    upload.file.seek(0)
    head = upload.file.read(filetypes.HEAD_BYTES)
    upload.file.seek(0)
    actual = filetypes.sniff(head)
    accepted = accepted_types_sentence()
    if actual is None or actual not in settings.EVIDENCE_TYPES:
        raise ConsentError(f"“{name}” is not a file type accepted as evidence. Upload {accepted}.")
    promised = filetypes.type_of_name(name)
    if promised != actual:
        looks = filetypes.DESCRIPTIONS[actual]
        if promised is None:
            raise ConsentError(
                f"“{name}” contains {looks} but its name does not end as one. Rename it with "
                "the right extension and upload it again."
            )
        raise ConsentError(
            f"“{name}” is named like {filetypes.DESCRIPTIONS[promised]} but contains {looks}. "
            "Rename it with the right extension, or upload the file you meant."
        )
    upload.content_type = actual


def accepted_types_sentence() -> str:
    """The types settings.EVIDENCE_TYPES accepts, as every form and refusal names them."""
    names = [filetypes.NAMES[t] for t in settings.EVIDENCE_TYPES]
    return (", ".join(names[:-1]) + " or " + names[-1]) if len(names) > 1 else "".join(names)


def _check_links(links: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(link.strip() for link in links if link.strip()))
    if len(cleaned) > MAX_LINKS:
        raise ConsentError(f"Give at most {MAX_LINKS} links at a time.")
    validate = URLValidator(schemes=["http", "https"])
    for link in cleaned:
        try:
            validate(link)
        except ValidationError as exc:
            raise ConsentError(
                f"“{link}” is not a web address. Links must start with https:// or http://."
            ) from exc
    return cleaned


def check_evidence(files: Sequence[EvidenceFile], links: Iterable[str]) -> list[str]:
    if len(files) > MAX_FILES:
        raise ConsentError(f"Upload at most {MAX_FILES} files at a time.")
    for upload in files:
        check_evidence_file(upload)
    return _check_links(links)


def store_evidence(
    dispute: Dispute,
    creator: Creator,
    files: Sequence[EvidenceFile],
    links: Sequence[str],
    stored: list[Evidence],
) -> None:
    """Save checked files and links; `stored` lets the caller remove files of a rollback."""
    for upload in files:
        evidence = Evidence(
            dispute=dispute,
            submitted_by=creator.user,
            creator=creator,
            original_name=upload.name[:255],
            content_type=upload.content_type,
            size=upload.size,
        )
        upload.file.seek(0)
        evidence.file.save("evidence", upload.file, save=False)
        stored.append(evidence)
        evidence.save()
    for link in links:
        stored.append(
            Evidence.objects.create(
                dispute=dispute, submitted_by=creator.user, creator=creator, url=link
            )
        )
    for evidence in stored:
        AuditEntry.objects.create(
            user=creator.user,
            action=Action.EVIDENCE,
            dispute=dispute,
            creator=creator,
            details={
                "evidence": str(evidence.public_id),
                "name": evidence.original_name or evidence.url,
            },
        )


@dataclass(frozen=True)
class _EvidenceCap:
    """One limit on evidence: the rows it counts, its settings, and how to say it."""

    evidence: QuerySet
    max_items: int
    max_bytes: int
    items_rule: str  # "You can add at most {limit} of evidence …", {limit} being "50 pieces"
    bytes_rule: str  # the same for bytes, {limit} being "200.0 MB"
    have: str  # "You have added {have}", "This dispute holds {have}"
    advice: str


def _pieces(count: int) -> str:
    return f"{count:,} piece{'s' if count != 1 else ''}"


def check_evidence_caps(
    dispute: Dispute, creator: Creator, files: Sequence[EvidenceFile], links: Sequence[str]
) -> None:
    """Refuse evidence that would take the party, the dispute or the account past a limit.

    Called inside the transaction that stores the evidence, with the dispute's row locked; the
    creator's row is locked here too, so two uploads at once, to one dispute or to two, are
    counted one after the other and cannot both pass. Each limit counts pieces (files and
    links) and bytes of files.
    """
    Creator.objects.select_for_update().only("pk").get(pk=creator.pk)
    adding, adding_bytes = len(files) + len(links), sum(upload.size for upload in files)
    mine = Evidence.objects.filter(submitted_by_id=creator.user_id)
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    caps = [
        _EvidenceCap(
            mine.filter(dispute=dispute),
            settings.EVIDENCE_PARTY_MAX_ITEMS,
            settings.EVIDENCE_PARTY_MAX_BYTES,
            "You can add at most {limit} of evidence (files and links) to one dispute.",
            "Your evidence files in one dispute can total at most {limit}.",
            "You have added {have}",
            "Choose the evidence that matters most, or give links to large files.",
        ),
        _EvidenceCap(
            Evidence.objects.filter(dispute=dispute),
            settings.EVIDENCE_DISPUTE_MAX_ITEMS,
            settings.EVIDENCE_DISPUTE_MAX_BYTES,
            "A dispute can hold at most {limit} of evidence (files and links) from all its "
            "parties together.",
            "The evidence files of a dispute, from all its parties together, can total at most "
            "{limit}.",
            "This dispute holds {have}",
            "Choose the evidence that matters most, or give links to large files.",
        ),
        _EvidenceCap(
            mine.filter(created_at__gte=today),
            settings.EVIDENCE_DAILY_MAX_ITEMS,
            settings.EVIDENCE_DAILY_MAX_BYTES,
            "You can add at most {limit} of evidence (files and links) a day, across all your "
            "disputes.",
            "Your evidence files can total at most {limit} a day, across all your disputes.",
            "You have added {have} today",
            "Add the rest tomorrow.",
        ),
    ]
    for cap in caps:
        totals = cap.evidence.aggregate(items=Count("pk"), size=Sum("size"))
        items, size = totals["items"], totals["size"] or 0
        if items + adding > cap.max_items:
            left = cap.max_items - items
            raise ConsentError(
                f"{cap.items_rule.format(limit=_pieces(cap.max_items))} "
                f"{cap.have.format(have=_pieces(items))}, so {_room(f'{left:,}', left > 0)}, "
                f"and this addition has {adding:,}. Nothing was added. {cap.advice}"
            )
        if size + adding_bytes > cap.max_bytes:
            left = cap.max_bytes - size
            raise ConsentError(
                f"{cap.bytes_rule.format(limit=filesizeformat(cap.max_bytes))} "
                f"{cap.have.format(have=filesizeformat(size))}, so "
                f"{_room(filesizeformat(left), left > 0)}, and these files total "
                f"{filesizeformat(adding_bytes)}. Nothing was added. {cap.advice}"
            )


def _room(amount: str, any_left: bool) -> str:
    return f"there is room for {amount} more" if any_left else "there is no room left"


def remove_files(stored: list[Evidence]) -> None:
    for evidence in stored:
        if evidence.file:
            evidence.file.delete(save=False)
