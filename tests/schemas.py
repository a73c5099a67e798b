"""The published shapes of the formats the registry emits, as JSON Schema, for every test; and
how the API's own OpenAPI schema (/api/schema/) reads as JSON Schema.

The format schemas are written from the specifications (W3C TDMRep final report; its ODRL
profile), not from our code, so a test that validates against them checks the format, not our
own idea of it.
"""

TDMREP_FILE_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["location", "tdm-reservation"],
        "additionalProperties": False,
        "properties": {
            "location": {"type": "string", "pattern": "^/\\S*$"},
            "tdm-reservation": {"type": "integer", "enum": [0, 1]},
            # jsonschema checks `format: uri` only with an extra package; the pattern always does.
            "tdm-policy": {
                "type": "string",
                "format": "uri",
                "pattern": "^https?://[^\\s/]+/\\S*$",
            },
        },
        # A policy says on what terms reserved rights may be licensed: it goes with `1` only.
        "if": {"properties": {"tdm-reservation": {"const": 0}}},
        "then": {"not": {"required": ["tdm-policy"]}},
    },
}

ODRL_POLICY_SCHEMA = {
    "type": "object",
    "required": ["@context", "@type", "profile", "uid", "assigner", "permission"],
    "properties": {
        "@context": {
            "const": ["http://www.w3.org/ns/odrl.jsonld", "http://www.w3.org/ns/tdmrep.jsonld"]
        },
        "@type": {"const": "Offer"},
        "profile": {"const": "http://www.w3.org/ns/tdmrep"},
        "uid": {"type": "string", "pattern": "^https?://"},
        "assigner": {
            "type": "object",
            "required": ["uid", "vcard:fn"],
            "properties": {
                # An ISNI URI where the artist has one, else a urn:uuid: of the creator.
                "uid": {"type": "string", "pattern": "^(https?://|urn:)"},
                "vcard:fn": {"type": "string", "minLength": 1},
                "vcard:hasEmail": {"type": "string", "pattern": "^mailto:[^@\\s]+@[^@\\s]+$"},
                "vcard:hasURL": {"type": "string", "pattern": "^https?://"},
            },
        },
        "permission": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["target", "action"],
                "properties": {
                    "target": {"type": "string", "pattern": "^https?://"},
                    "action": {"const": "tdm:mine"},
                    "duty": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["action"],
                            "properties": {"action": {"enum": ["obtainConsent", "compensate"]}},
                        },
                    },
                },
            },
        },
        "prohibition": False,
        "obligation": False,
    },
}


def openapi_to_json_schema(node):
    """OpenAPI 3.0's dialect (as drf-spectacular writes /api/schema/) as JSON Schema: `nullable`
    becomes "or null", and every object with documented properties admits no others, so an answer
    that carries an undocumented field (or lacks a documented one) fails."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: openapi_to_json_schema(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node
