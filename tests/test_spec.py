"""Reading the spec: YAML 1.2 scalars (RingCentral's ``Off`` enum stays a string) and ``$ref`` inlining."""

from __future__ import annotations

from pathlib import Path

from runner.rc.spec import load_spec, resolve


def test_yaml_1_1_booleans_and_dates_stay_strings(tmp_path: Path) -> None:
    doc = tmp_path / "spec.yml"
    doc.write_text(
        "screening: {enum: [Off, NoCallerId, On], default: Off}\n"
        "answers: [Yes, No, y, n, true, false]\n"
        "when: 2026-01-01\n"
        "numbers: [12, 0x1F, 0o17, 1_000, 1.5, 1e3, '7', 010]\n"
        "empty: ~\n",
        encoding="utf-8",
    )
    loaded = load_spec(doc)
    assert loaded["screening"] == {"enum": ["Off", "NoCallerId", "On"], "default": "Off"}
    assert loaded["answers"] == ["Yes", "No", "y", "n", True, False]
    assert loaded["when"] == "2026-01-01"
    assert loaded["numbers"] == [12, 31, 15, "1_000", 1.5, 1000.0, "7", 10]
    assert loaded["empty"] is None


def test_resolve_inlines_refs_and_cuts_cycles() -> None:
    spec = {
        "components": {
            "schemas": {
                "Tree": {
                    "type": "object",
                    "properties": {
                        "name": {"$ref": "#/components/schemas/Name"},
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
                    },
                },
                "Name": {"type": "string", "enum": ["On", "Off"]},
                "a~b/c": {"type": "integer"},
            }
        }
    }
    tree = resolve({"$ref": "#/components/schemas/Tree"}, spec)
    assert tree["properties"]["name"] == {"type": "string", "enum": ["On", "Off"]}
    assert tree["properties"]["children"]["items"] == {}
    assert resolve({"$ref": "#/components/schemas/a~0b~1c"}, spec) == {"type": "integer"}
    # The spec itself is left untouched.
    assert spec["components"]["schemas"]["Tree"]["properties"]["name"] == {
        "$ref": "#/components/schemas/Name"
    }
