"""Parquet manifests, when pyarrow is installed (it is optional for the client)."""

import pytest
from registry_client import Mirror, sync
from registry_client.check import check_manifest

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.conftest import make_artist
from tests.factories import register

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def test_a_parquet_manifest_is_written_back_as_parquet(live_registry, tmp_path):
    artist = make_artist()
    register(artist, "https://soundcloud.com/a/b", isrc="USRC17607839")
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    with Mirror(tmp_path / "m") as mirror:
        sync(live_registry.client(), mirror)
    rows = [{"url": "http://m.soundcloud.com/a/b"}, {"url": "https://example.org/x"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    audit = check_manifest(tmp_path / "in.parquet", tmp_path / "out.parquet", mirror=tmp_path / "m")
    judged = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["tdm"] for r in judged] == ["deny", "unset"] and audit["mode"] == "mirror"
