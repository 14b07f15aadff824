"""CloudFormation intrinsic functions and conditions, evaluated over a plain template.

`Resolver` turns `{"Ref": …}`, `{"Fn::GetAtt": …}`, `{"Fn::Sub": …}` and friends into
values, asking two callbacks for what only a stack knows: the physical name of a
resource (`ref`) and one of its attributes (`get_att`). Conditions are evaluated once.

    >>> r = Resolver(template, ref=lambda lid: f"stack-{lid}", get_att=lambda lid, a: "…")
    >>> r.resolve({"Fn::Sub": "${AWS::Region}-${Table}"})
    'us-east-1-stack-Table'
"""
from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable


class _NoValue:
    """`AWS::NoValue`: the property it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class TemplateError(ValueError):
    """The template says something this resolver cannot make sense of."""


class Resolver:
    """Evaluates intrinsic functions against pseudo parameters, parameters and a stack."""

    def __init__(
        self,
        template: dict,
        *,
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
        pseudo: dict[str, Any],
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self.template = template
        self._ref = ref
        self._get_att = get_att
        self.pseudo = dict(pseudo)
        self.parameters = self._parameter_values(parameters or {})
        self._conditions: dict[str, bool] = {}

    def _parameter_values(self, overrides: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            value = overrides.get(name, spec.get("Default"))
            if value is None:
                raise TemplateError(f"Parameter {name} has no Default: pass it in parameters={{{name!r}: …}}.")
            if str(spec.get("Type", "")).startswith("List<") or spec.get("Type") == "CommaDelimitedList":
                value = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
            values[name] = value
        return values

    # -- conditions ---------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        """The value of a named condition from the template's Conditions section."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"Condition {name!r} is not defined in Conditions.")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def is_active(self, resource: dict) -> bool:
        """False when the resource's Condition says it is not created."""
        name = resource.get("Condition")
        return True if name is None else self.condition(name)

    # -- values -------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated and `AWS::NoValue` removed."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            handler = _FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
        out = {}
        for key, item in value.items():
            resolved = self.resolve(item)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in (self.template.get("Resources") or {}):
            return self._ref(name)
        base, _, prop = name.partition(".")
        if prop in ("Alias", "Version") and base in (self.template.get("Resources") or {}):
            return self.get_att(base, prop)  # SAM's `!Ref Fn.Alias` (AutoPublishAlias)
        raise TemplateError(f"Ref to {name!r}: no parameter, pseudo parameter or resource has that name.")

    def get_att(self, name: str, attribute: str) -> Any:
        if name not in (self.template.get("Resources") or {}):
            raise TemplateError(f"GetAtt {name}.{attribute}: no resource is named {name!r}.")
        return self._get_att(name, attribute)

    def sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in (arg[1] if len(arg) > 1 else {}).items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                return _text(variables[inner])
            if "." in inner and inner.split(".", 1)[0] in (self.template.get("Resources") or {}):
                name, attribute = inner.split(".", 1)
                return _text(self.get_att(name, attribute))
            return _text(self.ref(inner))

        return _SUB_VAR.sub(replace, text)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


def _get_att(r: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    name, attribute = arg[0], r.resolve(arg[1])
    return r.get_att(name, attribute)


def _if(r: Resolver, arg: list) -> Any:
    name, when_true, when_false = arg
    return r.resolve(when_true if r.condition(name) else when_false)


def _select(r: Resolver, arg: list) -> Any:
    index, items = r.resolve(arg[0]), r.resolve(arg[1])
    return items[int(index)]


def _find_in_map(r: Resolver, arg: list) -> Any:
    name, top, second = (r.resolve(a) for a in arg[:3])
    try:
        return r.template["Mappings"][name][top][second]
    except KeyError:
        raise TemplateError(f"FindInMap [{name}, {top}, {second}]: no such entry in Mappings.") from None


def _split(r: Resolver, arg: list) -> list:
    return str(r.resolve(arg[1])).split(arg[0])


def _get_azs(r: Resolver, arg: Any) -> list:
    region = r.resolve(arg) or r.pseudo["AWS::Region"]
    return [f"{region}{zone}" for zone in "abc"]


def _import_value(r: Resolver, arg: Any) -> Any:
    raise TemplateError(f"Fn::ImportValue {r.resolve(arg)!r}: cross-stack imports are not available locally.")


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, a: r.ref(a),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": lambda r, a: r.sub(a),
    "Fn::Join": lambda r, a: str(a[0]).join(_text(v) for v in r.resolve(a[1])),
    "Fn::If": _if,
    "Fn::Equals": lambda r, a: _text(r.resolve(a[0])) == _text(r.resolve(a[1])),
    "Fn::And": lambda r, a: all(r.resolve(v) for v in a),
    "Fn::Or": lambda r, a: any(r.resolve(v) for v in a),
    "Fn::Not": lambda r, a: not r.resolve(a[0]),
    "Condition": lambda r, a: r.condition(a),
    "Fn::Select": _select,
    "Fn::FindInMap": _find_in_map,
    "Fn::Split": _split,
    "Fn::Base64": lambda r, a: base64.b64encode(str(r.resolve(a)).encode()).decode(),
    "Fn::ToJsonString": lambda r, a: json.dumps(r.resolve(a), separators=(",", ":")),
    "Fn::Length": lambda r, a: len(r.resolve(a)),
    "Fn::GetAZs": _get_azs,
    "Fn::ImportValue": _import_value,
}
