"""CloudFormation YAML: short tags (`!Ref`, `!Sub`, `!GetAtt` …) in and out.

Two views of the same file:

- `load_roundtrip(path)` keeps tags, comments, key order and line numbers (the merge
  reads and writes with it, so fragments come out as they were written);
- `load(path)` gives plain Python (`dict`, `list`, `str` …) with every short tag turned
  into its long form, e.g. ``!GetAtt Fn.Arn`` → ``{"Fn::GetAtt": ["Fn", "Arn"]}`` (the
  builder and the local runtime read templates this way).

    >>> template = load(Path("template.yaml"))
    >>> template["Resources"]["Api"]["Type"]
    'AWS::Serverless::Api'
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

# Short tag → long form. `GetAtt` is special: its scalar form is "Name.Attr".
SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join",
            "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or",
            "Length", "ToJsonString",
        )
    },
}


def _yaml(typ: str = "rt") -> YAML:
    yaml = YAML(typ=typ)
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_roundtrip(path: Path | str) -> Any:
    """Parse a YAML file keeping tags, order, comments and line numbers."""
    with open(path, encoding="utf-8") as stream:
        return _yaml().load(stream)


def loads_roundtrip(text: str) -> Any:
    return _yaml().load(text)


def dump_roundtrip(data: Any) -> str:
    """Serialise round-trip data (tags kept) to YAML text."""
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def to_plain(node: Any) -> Any:
    """Convert round-trip data to plain Python with intrinsic functions in long form."""
    tag = getattr(node, "tag", None)
    tag_name = getattr(tag, "value", tag) if tag is not None else None
    if isinstance(tag_name, str) and tag_name.startswith("!") and tag_name[1:] in SHORT_TAGS:
        name = tag_name[1:]
        long_name = SHORT_TAGS[name]
        if isinstance(node, TaggedScalar):
            value: Any = node.value
            if name == "GetAtt":
                value = value.split(".", 1)
            return {long_name: value}
        inner = to_plain(_untagged(node))
        return {long_name: inner}
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, TaggedScalar):
        return node.value
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _untagged(node: Any) -> Any:
    if isinstance(node, CommentedMap):
        return dict(node.items())
    if isinstance(node, CommentedSeq):
        return list(node)
    return node


def load(path: Path | str) -> Any:
    """Parse a CloudFormation YAML file to plain Python, intrinsics in long form."""
    return to_plain(load_roundtrip(path))


def loads(text: str) -> Any:
    return to_plain(loads_roundtrip(text))
