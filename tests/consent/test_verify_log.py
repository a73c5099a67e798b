"""`manage.py verify_log` accepts the log the write paths build and names the first thing that
no longer matches: a declaration rewritten behind the triggers, a stored hash, a checkpoint."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from consent.models import ChangeEvent, Checkpoint, Declaration, LogEntry
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from consent.transparency import keys, log
from consent.transparency.backfill import _time
from consent.transparency.note import Signer, checkpoint_text, sign_note
from tests.conftest import verify_claims_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(artist):
    track = register_track(
        artist, TrackData(title="Night Drive", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    verify_claims_of(artist)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=track)
    return track


def run() -> str:

    out = StringIO()
    call_command("verify_log", stdout=out)
    return out.getvalue()


def test_every_declaration_and_change_event_is_logged_in_order(history, artist):
    assert "match the database" in run()
    records = [json.loads(data) for data in log.entries(0, log.size())]
    declarations = [r for r in records if r["type"] == "declaration"]
    assert [r["declaration"] for r in declarations] == list(
        Declaration.objects.order_by("id").values_list("id", flat=True)
    )
    assert declarations[-1] == {
        "v": 1,
        "type": "declaration",
        "declaration": declarations[-1]["declaration"],
        "batch": declarations[-1]["batch"],
        "creator": str(artist.public_id),
        "track": str(history.public_id),
        "purpose": "tdm",
        "value": "allow",
        "at": declarations[-1]["at"],
    }
    sequences = [r["sequence"] for r in records if r["type"] == "policy"]
    assert sequences == list(ChangeEvent.objects.values_list("sequence", flat=True))
    assert "@" not in json.dumps(records) and "Night Drive" not in json.dumps(records)


def owner_sql(*statements, pk=None):
    # The test database's connection is the owner: it may disable the triggers (once the
    # deferred foreign-key checks of the test's transaction have run).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in statements:
            cursor.execute(statement, [pk] if "%s" in statement else None)


def test_a_declaration_rewritten_behind_the_triggers_is_named(history):
    row = Declaration.objects.get(track=history, purpose="tdm")
    owner_sql(
        "ALTER TABLE consent_declaration DISABLE TRIGGER ALL",
        "UPDATE consent_declaration SET value = 'deny' WHERE id = %s",
        "ALTER TABLE consent_declaration ENABLE TRIGGER ALL",
        pk=row.pk,
    )
    with pytest.raises(CommandError, match=f"latest for declaration {row.pk}, does not match"):
        run()


def test_a_declaration_slipped_in_without_an_entry_is_named(history, artist):
    row = Declaration.objects.get(track=history, purpose="tdm")
    owner_sql(
        "INSERT INTO consent_declaration (creator_id, track_id, purpose, value, terms_url, "
        "contact_email, batch, declared_at) SELECT creator_id, track_id, purpose, 'deny', "
        "'', '', batch, declared_at FROM consent_declaration WHERE id = %s",
        pk=row.pk,
    )
    with pytest.raises(CommandError, match="no entry for declaration"):
        run()


def test_a_rewritten_entry_or_hash_is_named(history):
    owner_sql(
        "ALTER TABLE consent_loghash DISABLE TRIGGER ALL",
        "UPDATE consent_loghash SET hash = decode(repeat('00', 32), 'hex') WHERE index = 2",
        "ALTER TABLE consent_loghash ENABLE TRIGGER ALL",
    )
    with pytest.raises(CommandError, match="Stored hash 2 "):
        run()


def signed(size: int, root: bytes, signer=None) -> str:
    return sign_note(checkpoint_text(keys.origin(), size, root), signer or keys.signer())


def test_a_checkpoint_with_another_root_is_named(history):
    size = log.size()
    with transaction.atomic():
        root = log.root(size - 1)
        Checkpoint.objects.create(size=size - 1, root_hash=root, note=signed(size - 1, root))
    assert "1 checkpoints" in run()
    Checkpoint.objects.create(size=size, root_hash=b"\x00" * 32, note=signed(size, b"\x00" * 32))
    with pytest.raises(CommandError, match=f"Checkpoint at size {size} "):
        run()


def test_a_checkpoint_not_signed_by_the_log_or_not_saying_its_row_is_named(history):
    size = log.size()
    root = log.root(size)
    stranger = Signer.generate("stranger.example/log")
    checkpoint = Checkpoint.objects.create(
        size=size, root_hash=root, note=signed(size, root, stranger)
    )
    with pytest.raises(CommandError, match="does not verify with the log's key"):
        run()
    rewrite_note(checkpoint, signed(size - 1, log.root(size - 1)))
    with pytest.raises(CommandError, match="different size or root hash"):
        run()
    rewrite_note(checkpoint, signed(size, root))
    assert "1 checkpoints" in run()


def rewrite_note(checkpoint, note: str) -> None:
    # Checkpoints are append-only (migration 0021): only the owner, triggers off, can do this.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE consent_checkpoint DISABLE TRIGGER ALL")
        cursor.execute(
            "UPDATE consent_checkpoint SET note = %s WHERE id = %s", [note, checkpoint.pk]
        )
        cursor.execute("ALTER TABLE consent_checkpoint ENABLE TRIGGER ALL")


def test_an_entry_for_a_row_that_is_gone_is_named(history):
    with transaction.atomic():
        log.append({"v": 1, "type": "declaration", "declaration": 10**9})
    with pytest.raises(CommandError, match=f"Entry {LogEntry.objects.count() - 1} records"):
        run()


def test_backfill_logs_rows_written_before_the_log_in_a_fixed_order(history, artist):
    before = log.entries(0, log.size())
    owner_sql(
        "ALTER TABLE consent_logentry DISABLE TRIGGER ALL",
        "ALTER TABLE consent_loghash DISABLE TRIGGER ALL",
        "DELETE FROM consent_logentry",
        "DELETE FROM consent_loghash",
        "ALTER TABLE consent_logentry ENABLE TRIGGER ALL",
        "ALTER TABLE consent_loghash ENABLE TRIGGER ALL",
    )
    with pytest.raises(CommandError, match="no entry for declaration"):
        run()
    call_command("backfill_log", stdout=StringIO())
    assert "match the database" in run()
    # The same rows give the same entries; the order is by time, declarations first.
    assert sorted(log.entries(0, log.size())) == sorted(before)
    times = [_time(json.loads(data)) for data in log.entries(0, log.size())]
    assert times == sorted(times)
    out = StringIO()
    call_command("backfill_log", stdout=out)
    assert "Appended 0" in out.getvalue()


def test_every_kind_of_change_leaves_a_log_verify_log_accepts(artist, other_artist, reviewer):
    from consent.contests import contest_claim
    from consent.disputes import decide, suspend_creator
    from consent.links import add_links, remove_link
    from consent.models import Claim, Dispute, TrackLink
    from consent.services import withdraw_claim
    from tests.disputes_helpers import claim_of, owned_track

    track = owned_track(artist)
    second = register_track(
        artist, TrackData(title="B-side", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    [mine] = add_links(artist, second, ["https://soundcloud.com/owner/b-side"])
    remove_link(artist, mine)
    withdraw_claim(claim_of(artist, second))
    other = register_track(
        other_artist, TrackData(title="Night Drive", artist_credit="X", roles=["composition"])
    ).tracks[0]
    [theirs] = add_links(other_artist, other, ["https://soundcloud.com/x/night"])
    dispute = contest_claim(other_artist, claim_of(artist, track), "Mine", "I made it.")
    decide(
        reviewer, dispute, "upheld", "The owner proved it.", upheld_claim=claim_of(artist, track)
    )
    suspend_creator(reviewer, other_artist, "Repeated false claims.")
    assert "match the database" in run()

    kinds = {json.loads(data)["type"] for data in log.entries(0, log.size())}
    assert kinds == {
        "declaration",
        "policy",
        "claim",
        "verification",
        "link",
        "dispute-decision",
        "suspension",
    }
    latest = {}
    for data in log.entries(0, log.size()):
        record = json.loads(data)
        if record["type"] == "claim":
            latest[record["claim"]] = record
    withdrawn = Claim.objects.get(track=second)
    assert latest[str(withdrawn.public_id)]["status"] == "withdrawn"
    decided = Dispute.objects.get(pk=dispute.pk)
    assert decided.decided_at is not None
    text = b"".join(log.entries(0, log.size()))
    assert b"Repeated false claims" not in text and b"proved it" not in text
    assert TrackLink.all_objects.filter(pk=theirs.pk).exists()


def test_the_demo_data_is_logged_through_the_write_paths():
    call_command("load_demo", force=True, stdout=StringIO())
    kinds = {json.loads(data)["type"] for data in log.entries(0, log.size())}
    assert {"declaration", "policy", "claim", "verification", "link"} <= kinds
    assert "match the database" in run()


def test_an_import_update_is_logged_and_accepted(artist):
    from consent.exporting import export_lines
    from consent.importing.catalogue import parse_catalogue_csv
    from consent.importing.updating import apply_update, plan_update

    for n in range(3):
        register_track(
            artist,
            TrackData(
                title=f"Track {n}",
                artist_credit="Owner Band",
                roles=["recording"],
                isrc=f"QZES5{n:07d}",
            ),
        )
    text = "".join(export_lines(artist)).replace("\ufeff", "")
    lines = text.splitlines()
    header = lines[0].split(",")
    column = header.index("search")
    rows = []
    for line in lines[1:]:
        cells = line.split(",")
        cells[column] = "deny"
        rows.append(",".join(cells))
    data = "\r\n".join([lines[0], *rows]).encode()

    def parse():
        return parse_catalogue_csv(
            data, max_rows=100, max_bytes=100_000, default_artist_credit="Owner Band"
        )

    apply_update(artist, parse(), plan_update(artist, parse()).digest())
    assert Declaration.objects.filter(purpose="search", value="deny").count() == 3
    assert "match the database" in run()


def test_a_claim_changed_without_its_entry_is_named(history, artist):
    from consent.models import Claim

    claim = Claim.objects.get(track=history, creator=artist)
    Claim.objects.filter(pk=claim.pk).update(status="withdrawn")
    with pytest.raises(CommandError, match=f"latest for claim {claim.public_id}, does not match"):
        run()


def test_a_hidden_and_restored_link_is_logged_each_time(artist, other_artist, reviewer):
    from consent.links import hide_link, restore_link
    from consent.models import TrackLink

    isrc = "USRC17607839"
    register_track(
        artist,
        TrackData(title="Night Drive", artist_credit="Owner Band", roles=["recording"], isrc=isrc),
    )
    verify_claims_of(artist)
    register_track(
        other_artist,
        TrackData(
            title="Night Drive",
            artist_credit="Owner Band",
            roles=["composition"],
            isrc=isrc,
            links=["https://soundcloud.com/writer/night-drive"],
        ),
    )
    link = TrackLink.objects.get(url="https://soundcloud.com/writer/night-drive")
    hide_link(artist, link)
    restore_link(reviewer, link, "The songwriter's own upload.")
    states = [
        json.loads(data)
        for data in log.entries(0, log.size())
        if json.loads(data)["type"] == "link" and json.loads(data)["link"] == link.pk
    ]
    assert [state["hidden_reason"] for state in states] == [None, "by-owner", None]
    assert "match the database" in run()


def test_postgresql_writes_each_record_byte_for_byte_as_the_builders_do(history, artist):
    """verify_log hashes the numerous kinds' records as PostgreSQL writes them
    (`verify.CANONICAL_SQL`); the digests must be the ones of the builders' records written by
    `jcs.canonical`, for every value a column can hold: non-ASCII, escapes, controls, nulls,
    a change event's purposes missing or beside other members, its links in stored order."""
    from consent.links import add_links
    from consent.models import TrackLink
    from consent.transparency import verify

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL builds the records only there")
    [link] = add_links(artist, history, ["https://soundcloud.com/owner/b-side"])
    events = list(ChangeEvent.objects.order_by("sequence").values_list("pk", flat=True))
    odd_links = json.dumps(['x", ', 'b\u00fcr\\"q', "tab\there", "\u0001\u007f\u2028", "", "/"])
    owner_sql(
        "ALTER TABLE consent_changeevent DISABLE TRIGGER ALL",
        "ALTER TABLE consent_tracklink DISABLE TRIGGER ALL",
        "ALTER TABLE consent_declaration DISABLE TRIGGER ALL",
        f"UPDATE consent_changeevent SET links = '{odd_links}'::jsonb, "  # noqa: S608 (constant)
        "cause = E'caus\\u00e9\\n\\u0002', policy = policy - 'search' "
        '|| \'{"zzz": 1, "tdm": "d\\u00e9ny"}\'::jsonb WHERE id = %s',
        pk=events[0],
    )
    owner_sql(
        "UPDATE consent_changeevent SET links = NULL, policy = '{}'::jsonb, disputed = true "
        "WHERE id = %s",
        pk=events[1],
    )
    owner_sql(
        "UPDATE consent_changeevent SET links = '[]'::jsonb WHERE id = %s",
        pk=events[-1],
    )
    owner_sql(
        "UPDATE consent_tracklink SET url = E'https://example.com/\\u00e9\\\\\"x\\t', "
        "hidden_reason = '', hidden_at = now() WHERE id = %s",
        pk=link.pk,
    )
    owner_sql(
        "UPDATE consent_declaration SET value = E'\\u00e9\\u001f' WHERE id = %s",
        pk=Declaration.objects.order_by("id").first().pk,
    )
    owner_sql(
        "ALTER TABLE consent_changeevent ENABLE TRIGGER ALL",
        "ALTER TABLE consent_tracklink ENABLE TRIGGER ALL",
        "ALTER TABLE consent_declaration ENABLE TRIGGER ALL",
    )
    assert TrackLink.all_objects.get(pk=link.pk).url.endswith('\u00e9\\"x\t')
    by_postgresql = verify._expected_sql()
    by_builders = verify._collect(verify.subjects())
    assert [kind for kind, _, _ in by_postgresql] == [kind for kind, _, _ in by_builders]
    for (kind, row_keys, digests), (_, their_keys, their_digests) in zip(
        by_postgresql, by_builders, strict=True
    ):
        assert list(row_keys) == list(their_keys), kind
        assert bytes(digests) == bytes(their_digests), kind
    # And the rewritten rows no longer match their entries.
    with pytest.raises(CommandError, match="does not match it as the database holds it"):
        run()


# --- Three processes: two scanning halves of the log, one re-deriving the rows ------------------


@pytest.fixture
def split_history(artist, monkeypatch):
    """Outside a transaction, so that verify_log forks, with a log small enough to split."""
    from consent.transparency import verify

    monkeypatch.setattr(verify, "SPLIT_AT", 4)
    track = register_track(
        artist, TrackData(title="Night Drive", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    verify_claims_of(artist)
    for purpose in (Purpose.TRAIN_GENAI, Purpose.TDM, Purpose.SEARCH, Purpose.AI_INPUT):
        declare(artist, {purpose: PurposeChoice(Value.DENY)}, track=track)
    size = log.size()
    assert size >= 10
    assert verify._split() == size // 2
    return size


@pytest.mark.django_db(transaction=True)
def test_two_scanning_processes_accept_the_log_and_name_a_hash_of_the_second_half(
    split_history,
):
    from consent.transparency import merkle

    assert "match the database" in run()
    wrong = merkle.stored_hash_index(0, split_history - 2)
    owner_sql(
        "ALTER TABLE consent_loghash DISABLE TRIGGER ALL",
        "UPDATE consent_loghash SET hash = decode(repeat('00', 32), 'hex') WHERE index = %s",
        "ALTER TABLE consent_loghash ENABLE TRIGGER ALL",
        pk=wrong,
    )
    with pytest.raises(CommandError, match=f"Stored hash {wrong} "):
        run()


@pytest.mark.django_db(transaction=True)
def test_two_scanning_processes_name_an_entry_repeated_across_the_halves(split_history):
    first = next(
        (index, json.loads(data))
        for index, data in enumerate(log.entries(0, split_history // 2))
        if json.loads(data)["type"] == "declaration"
    )
    with transaction.atomic():
        log.append(first[1])
    with pytest.raises(
        CommandError,
        match=f"Entries {first[0]} and {split_history} both record declaration "
        f"{first[1]['declaration']}",
    ):
        run()


@pytest.mark.django_db(transaction=True)
def test_two_scanning_processes_name_a_gap_in_the_second_half(split_history):
    owner_sql(
        "ALTER TABLE consent_logentry DISABLE TRIGGER ALL",
        "DELETE FROM consent_logentry WHERE index = %s",
        "ALTER TABLE consent_logentry ENABLE TRIGGER ALL",
        pk=split_history - 3,
    )
    with pytest.raises(
        CommandError,
        match=f"The log skips from entry {split_history - 4} to entry {split_history - 2}",
    ):
        run()
