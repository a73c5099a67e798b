"""The log's signing key: the command that makes one, and the key the app signs with."""

import base64
import hashlib
import json
import stat
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import CommandError, call_command

from consent.transparency import keys


def test_create_signing_key_writes_a_private_file_and_prints_the_matching_verifier(tmp_path):
    path = tmp_path / "log-key"
    out = StringIO()
    call_command(
        "create_signing_key", output=str(path), name="registry.example/consent-log", stdout=out
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    prefix, key, name, hex_hash, encoded = path.read_text().strip().split("+", 4)
    assert (prefix, key, name) == ("PRIVATE", "KEY", "registry.example/consent-log")
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x01
    public = (
        Ed25519PrivateKey.from_private_bytes(raw[1:])
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    vname = "registry.example/consent-log"
    key_hash = hashlib.sha256(vname.encode() + b"\n\x01" + public).digest()[:4].hex()
    encoded_public = base64.b64encode(b"\x01" + public).decode()
    expected = f"{vname}+{key_hash}+{encoded_public}"
    assert out.getvalue().strip() == expected
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("create_signing_key", output=str(path), stdout=StringIO())


def test_the_app_signs_with_the_configured_key(settings):
    assert keys.verifier().to_string().startswith("test-only.invalid/consent-log+0da45ce8+")
    settings.LOG_SIGNING_KEY = ""
    with pytest.raises(keys.NoSigningKey):
        keys.signer()
    assert keys.verifier() is None


def test_create_signing_key_receipt_writes_a_private_jwk_and_prints_its_public_jwk(tmp_path):
    path = tmp_path / "receipt-key"
    out = StringIO()
    call_command("create_signing_key", "--receipt", output=str(path), stdout=out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = json.loads(path.read_text())
    assert set(private) == {"kty", "crv", "d", "x"}
    assert (private["kty"], private["crv"]) == ("OKP", "Ed25519")
    d = base64.urlsafe_b64decode(private["d"] + "=")
    x = (
        Ed25519PrivateKey.from_private_bytes(d)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert private["x"] == base64.urlsafe_b64encode(x).rstrip(b"=").decode()
    assert "=" not in private["d"] + private["x"]
    public = json.loads(out.getvalue())
    members = '{"crv":"Ed25519","kty":"OKP","x":"' + private["x"] + '"}'
    kid = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=")
    assert public == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": private["x"],
        "kid": kid.decode(),
        "use": "sig",
        "alg": "EdDSA",
    }
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("create_signing_key", "--receipt", output=str(path), stdout=StringIO())
    assert json.loads(path.read_text()) == private
    with pytest.raises(CommandError, match="kid"):
        call_command(
            "create_signing_key", "--receipt", output=str(tmp_path / "b"), name="x", stdout=out
        )
