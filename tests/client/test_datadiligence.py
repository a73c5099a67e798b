"""`RegistryRule` plugs into datadiligence's evaluators as its own bulk rules do, and answers
per purpose from a mirror or live."""

import pytest
from datadiligence.evaluators import PreprocessEvaluator
from datadiligence.rules import BulkRule, SpawningAPI
from registry_client import Mirror, sync
from registry_client.datadiligence import RegistryRule, RegistryRuleError

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.conftest import make_artist
from tests.factories import register

DENIED = "https://soundcloud.com/night-owls/denied"
LICENSED = "https://soundcloud.com/night-owls/licensed"
URLS = [
    "http://m.soundcloud.com/night-owls/denied?si=x",  # a variant of a denied link
    LICENSED,
    "https://soundcloud.com/night-owls/unregistered",
    "not a link",
]


def test_the_rule_has_the_bulk_rules_methods_and_signatures():
    import inspect

    for name in ("is_ready", "is_allowed", "filter_allowed"):
        ours = inspect.signature(getattr(RegistryRule, name)).parameters
        theirs = inspect.signature(getattr(SpawningAPI, name)).parameters
        assert list(ours) == list(theirs), name
    assert issubclass(RegistryRule, BulkRule)


@pytest.fixture
def reserved(live_registry):
    artist = make_artist("Night Owls", "night-owls")
    denied = register(artist, DENIED, title="Denied")
    licensed = register(artist, LICENSED, title="Licensed")
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)}, track=denied)
    terms = PurposeChoice(Value.LICENSE, "https://owner.example/licence")
    declare(artist, {Purpose.TRAIN_GENAI: terms}, track=licensed)
    return live_registry


@pytest.mark.parametrize("where", ["mirror", "live"])
def test_an_existing_pipeline_adds_the_registry_in_one_line(reserved, tmp_path, where):
    if where == "mirror":
        with Mirror(tmp_path) as mirror:
            sync(reserved.client(), mirror)
        rule = RegistryRule("train-genai", mirror=tmp_path)
    else:
        rule = RegistryRule("train-genai", url=reserved.url, key=reserved.key)
    evaluator = PreprocessEvaluator()
    evaluator.rules = []  # Spawning's own rule asks its service online; not in a test
    evaluator.add_rule(rule)
    assert evaluator.rules == [rule] and rule.is_ready()
    assert evaluator.filter_allowed(urls=URLS) == URLS[2:]
    assert evaluator.is_allowed(urls=URLS) == [False, False, True, True]
    assert rule.is_allowed(url=URLS[0]) is False and rule.is_allowed(url=URLS[2]) is True
    assert rule.filter_allowed(url=URLS[1]) == []
    # Search is not reserved: every link may be indexed.
    search = RegistryRule("search", mirror=tmp_path) if where == "mirror" else None
    if search:
        assert search.filter_allowed(urls=URLS) == URLS
    with pytest.raises(RegistryRuleError):
        rule.is_allowed()


def test_without_a_synced_mirror_or_a_key_the_rule_is_not_ready(tmp_path, monkeypatch):
    monkeypatch.delenv("REGISTRY_URL", raising=False)
    monkeypatch.delenv("REGISTRY_API_KEY", raising=False)
    assert RegistryRule(mirror=tmp_path).is_ready() is False
    assert RegistryRule().is_ready() is False


def test_the_rule_filters_a_dataset_in_batches_and_travels_to_other_processes(reserved, tmp_path):
    """The Hugging Face recipe of client/README.md: `dataset.filter(lambda batch:
    rule.is_allowed(urls=batch["url"]), batched=True)` calls the rule with a batch's column and
    keeps the rows it answers True for; `datasets` pickles the function (to fingerprint it, and
    to hand it to `num_proc` processes), so the rule pickles as its mirror's directory."""
    import pickle

    with Mirror(tmp_path) as mirror:
        sync(reserved.client(), mirror)
    rule = RegistryRule("train-genai", mirror=tmp_path)
    batch = {"url": URLS, "caption": ["a", "b", "c", "d"]}
    keep = rule.is_allowed(urls=batch["url"])
    assert [c for c, kept in zip(batch["caption"], keep, strict=True) if kept] == ["c", "d"]
    travelled = pickle.loads(pickle.dumps(rule))  # noqa: S301 (its own bytes)
    assert travelled.mirror.directory == rule.mirror.directory
    assert travelled.is_allowed(urls=URLS) == keep
