"""Updating the creator's own tracks from a sheet (usually an export, edited): which line is
which track, what would change (`plan_update`), and applying exactly that (`apply_update`).

A line is one of the creator's tracks when its `track_id` is the id of a track they claim, or,
without a track_id, when they claim a track with its ISRC (or, for a line without ISRC, the one
track they claim with its ISWC and no ISRC). A track_id that is not one of theirs is an error on
its line, worded the same whether or not such a track exists. Every other line is a new track,
registered exactly as the plain import would.

Only choices change: the purpose columns present in the sheet (an empty cell means the track
follows the catalogue-wide choice) with their terms_url and contact_email. Titles, credits,
durations, roles and links of registered tracks are not changed; a difference is shown as a
note. Applying re-plans under the consent write lock and refuses when the plan is not the one
previewed (`expected`), so nothing is applied that the artist has not seen.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from django.db.models import Subquery

from consent.identifiers import InvalidIdentifier, format_isrc
from consent.importing.catalogue import ParseResult
from consent.importing.columns import PURPOSE_COLUMNS, TRACK_ID, RowError, header_key, plural
from consent.models import Claim, Creator, Track
from consent.policies import latest_statements, lock_consent_writes, visible_links
from consent.purposes import PurposeChoice, Value
from consent.services import (
    ConsentError,
    TrackData,
    changes,
    declare_for_tracks,
    register_tracks,
)
from consent.text import LineBreakError
from consent.writes import prepared_write

INHERIT = PurposeChoice(Value.UNSET)


@dataclass(frozen=True)
class Change:
    purpose: str  # the purpose's value, as its column is named
    before: PurposeChoice  # the track-level choice; Value.UNSET follows the catalogue
    after: PurposeChoice


@dataclass
class LinePlan:
    """What one line of the sheet does: update a track, change nothing, or register a track."""

    line: int
    title: str
    public_id: uuid.UUID | None = None  # None for a new track
    track_id: int | None = None
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    new: TrackData | None = None

    @property
    def kind(self) -> str:
        if self.new is not None:
            return "new"
        return "changed" if self.changes else "unchanged"


@dataclass
class UpdatePlan:
    lines: list[LinePlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""

    def of_kind(self, kind: str) -> list[LinePlan]:
        return [line for line in self.lines if line.kind == kind]

    @property
    def choice_count(self) -> int:
        return sum(len(line.changes) for line in self.lines)

    def digest(self) -> str:
        """A fingerprint of everything the plan would write and every value it replaces."""

        def choice(c: PurposeChoice) -> list[str]:
            return [c.value.value, c.terms_url, c.contact_email]

        content = [
            [
                plan.line,
                str(plan.public_id or ""),
                [[c.purpose, choice(c.before), choice(c.after)] for c in plan.changes],
                repr(plan.new) if plan.new else "",
            ]
            for plan in self.lines
        ]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()

    def summary(self) -> str:
        changed, new = self.of_kind("changed"), self.of_kind("new")
        unchanged = self.of_kind("unchanged")
        if not changed and not new:
            tracks = plural(len(unchanged), "track")
            return f"No changes: the {tracks} in the file match the registry."
        parts = []
        if changed:
            parts.append(
                f"{plural(self.choice_count, 'choice')} changed on {plural(len(changed), 'track')}"
            )
        if new:
            parts.append(f"{plural(len(new), 'new track')} registered")
        if unchanged:
            parts.append(f"{plural(len(unchanged), 'track')} without a change")
        return "; ".join(parts) + "."


class StalePlan(Exception):
    """The file or the registry changed since the preview: the plan is not the one shown."""


@dataclass(frozen=True)
class Owned:
    id: int
    public_id: uuid.UUID
    title: str
    isrc: str | None
    iswc: str


def _owned_tracks(creator: Creator) -> list[Owned]:
    claimed = Claim.objects.active().filter(creator=creator).values("track_id")
    rows = Track.objects.filter(pk__in=Subquery(claimed)).values_list(
        "id", "public_id", "title", "isrc", "iswc"
    )
    return [Owned(*row) for row in rows.iterator(chunk_size=5000)]


def plan_update(creator: Creator, parsed: ParseResult) -> UpdatePlan:
    """Match every valid line to one of the creator's tracks (or a new one) and list the changes.

    Errors are those of the file (`parsed.errors`) and those of matching, each on its line.
    """
    plan = UpdatePlan(errors=list(parsed.errors), encoding=parsed.encoding)
    owned = _owned_tracks(creator)
    by_public = {track.public_id: track for track in owned}
    by_isrc = {track.isrc: track for track in owned if track.isrc}
    by_iswc: dict[str, list[Owned]] = {}
    for track in owned:
        if not track.isrc and track.iswc:
            by_iswc.setdefault(track.iswc, []).append(track)

    def column(key: str) -> str:
        return parsed.columns.get(header_key(key), key)

    matched: dict[int, int] = {}  # track id → line
    pending: list[tuple[LinePlan, TrackData, Owned]] = []
    for data, line, public_id in zip(parsed.rows, parsed.lines, parsed.track_ids, strict=True):
        track: Owned | None = None
        if public_id is not None:
            track = by_public.get(public_id)
            if track is None:
                plan.errors.append(
                    RowError(
                        line,
                        column(TRACK_ID),
                        f"None of your tracks has the track id {public_id}. Keep the track_id "
                        "cells as your export wrote them, or empty the cell to register this "
                        "line as a new track.",
                    )
                )
                continue
            if (data.isrc or None) != track.isrc:
                plan.errors.append(RowError(line, column("isrc"), _isrc_mismatch(data, track)))
                continue
        elif data.isrc:
            track = by_isrc.get(data.isrc)
        elif data.iswc:
            candidates = by_iswc.get(data.iswc, [])
            if len(candidates) > 1:
                plan.errors.append(
                    RowError(
                        line,
                        column("iswc"),
                        f"{plural(len(candidates), 'track')} of yours have this ISWC and no "
                        "ISRC; add the track_id column from an export to say which one.",
                    )
                )
                continue
            track = candidates[0] if candidates else None
        if track is None:
            plan.lines.append(LinePlan(line=line, title=data.title, new=data))
            continue
        earlier = matched.setdefault(track.id, line)
        if earlier != line:
            plan.errors.append(
                RowError(
                    line,
                    "",
                    f"Line {earlier} is also “{track.title}”; each track can be listed once, "
                    f"so keep line {earlier} or line {line}.",
                )
            )
            continue
        line_plan = LinePlan(line=line, title=track.title, public_id=track.public_id)
        line_plan.track_id = track.id
        pending.append((line_plan, data, track))
        plan.lines.append(line_plan)

    purposes = [p for p in PURPOSE_COLUMNS if p.value in parsed.columns]
    ids = [track.id for _, _, track in pending]
    statements = latest_statements([creator.id], ids)
    links = visible_links(ids) if "links" in parsed.columns else {}
    for line_plan, data, track in pending:
        in_force = statements.get((creator.id, track.id), {})
        for purpose in purposes:
            after = data.choices.get(purpose, INHERIT)
            before = in_force.get(purpose)
            if changes(before, after):
                was = (
                    PurposeChoice(before.value, before.terms_url, before.contact_email)
                    if before
                    else INHERIT
                )
                line_plan.changes.append(Change(purpose.value, was, after))
        track_links = links.get(track.id, []) if "links" in parsed.columns else None
        line_plan.notes = _notes(data, track, track_links, parsed)
    plan.errors.sort(key=lambda error: error.line or 0)
    return plan


def _isrc_mismatch(data: TrackData, track: Owned) -> str:
    registered = f"ISRC {format_isrc(track.isrc)}" if track.isrc else "no ISRC"
    written = f"the ISRC {format_isrc(data.isrc)}" if data.isrc else "no ISRC"
    return (
        f"This line has {written}, but the track with its track_id, “{track.title}”, is "
        f"registered with {registered}. An import cannot change a registered track's ISRC: "
        "keep the cells of this line as the export wrote them."
    )


def _notes(data: TrackData, track: Owned, links: list[str] | None, parsed: ParseResult):
    notes = []
    if data.title != track.title:
        notes.append(
            f"The file's title “{data.title}” differs from the registered one; titles are not "
            "changed by an update."
        )
    if links is not None:
        added = [link for link in data.links if link not in links]
        if added:
            notes.append(
                f"{plural(len(added), 'link')} in the file {'is' if len(added) == 1 else 'are'} "
                "not on the track; add links on the track's page (an update does not change "
                "links)."
            )
    return notes


@dataclass(frozen=True)
class UpdateResult:
    changed: list[LinePlan]
    registered: int
    unchanged: int
    declarations: int
    disputes: int


def apply_update(creator: Creator, parsed: ParseResult, expected: str) -> UpdateResult:
    """Apply the plan of `parsed`, all or nothing, if it is still the one whose digest was shown.

    Raises `StalePlan` when it is not (or when the file now has errors), and `ConsentError`
    when the registry refuses the writes; nothing is written then.
    """

    def apply():
        lock_consent_writes()
        plan = plan_update(creator, parsed)
        if plan.errors or plan.digest() != expected:
            raise StalePlan
        new = [line.new for line in plan.lines if line.new is not None]
        disputes = register_tracks(creator, new).disputes if new else []
        written = declare_for_tracks(
            creator,
            {
                line.track_id: {_purpose(change.purpose): change.after for change in line.changes}
                for line in plan.lines
                if line.changes
            },
        )
        return plan, new, disputes, written

    try:
        # Planned and computed outside the lock (consent.writes): the artist's own other saves
        # meanwhile, or claims and links that could collide with the new tracks, start it again.
        plan, new, disputes, written = prepared_write(
            apply, actors=[creator.id], retry_on=("claim", "link")
        )
    except (InvalidIdentifier, LineBreakError) as exc:
        raise ConsentError(str(exc)) from exc
    return UpdateResult(
        changed=plan.of_kind("changed"),
        registered=len(new),
        unchanged=len(plan.of_kind("unchanged")),
        declarations=len(written),
        disputes=len({dispute.pk for dispute in disputes}),
    )


def _purpose(value: str):
    return next(p for p in PURPOSE_COLUMNS if p.value == value)
