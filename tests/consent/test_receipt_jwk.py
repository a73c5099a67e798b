"""The receipt key as a JWK (RFC 8037) and its thumbprint (RFC 7638), checked against the RFCs'
own examples and `cryptography`, and a JWS it signs checked with PyJWT."""

import json

import jwt
import pytest

from consent.transparency.jws import JWKError, PrivateKey, PublicKey, b64url_decode, thumbprint

# RFC 8037 Appendix A.1 and A.3: an Ed25519 key and its RFC 7638 thumbprint.
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_KID = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_thumbprint_is_the_one_rfc_8037_gives():
    assert thumbprint(RFC8037_X) == RFC8037_KID
    key = PrivateKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X})
    assert key.public.kid == RFC8037_KID
    assert key.jwk() == {"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X}


def test_the_rfc_8037_signature_is_reproduced():
    """RFC 8037 A.4: Ed25519 is deterministic, so the example JWS comes out byte for byte."""
    key = PrivateKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X})
    token = key.sign_compact(b'{"alg":"EdDSA"}', b"Example of Ed25519 signing")
    assert token == (
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"kty": "EC"},
        {"crv": "Ed448"},
        {"x": RFC8037_X + "="},  # padded
        {"x": RFC8037_X[:-2]},  # too short
        {"d": "not base64url!"},
        {"x": "A" * 43},  # not d's public key
    ],
)
def test_a_jwk_that_is_not_a_matching_ed25519_key_is_refused(change):
    jwk = {"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X} | change
    with pytest.raises(JWKError):
        PrivateKey.from_jwk(jwk)


def test_text_that_is_not_a_json_object_is_refused():
    for text in ("PRIVATE+KEY+x", "[]", '"OKP"'):
        with pytest.raises(JWKError):
            PrivateKey.from_json(text)


def test_base64url_means_without_padding():
    assert b64url_decode("AQ") == b"\x01"
    for text in ("AQ==", "A", "A+", "A/"):
        with pytest.raises(ValueError):
            b64url_decode(text)


def test_a_new_key_round_trips_and_signs_what_pyjwt_verifies():
    key = PrivateKey.generate()
    again = PrivateKey.from_json(key.to_json())
    assert again.public == key.public
    public = PublicKey.from_jwk(key.public.jwk())
    token = key.sign_compact(b'{"alg":"EdDSA","typ":"x"}', b'{"a":1}')
    decoded = jwt.api_jws.PyJWS().decode_complete(
        token, key=jwt.PyJWK(public.jwk()), algorithms=["EdDSA"]
    )
    assert json.loads(decoded["payload"]) == {"a": 1}
