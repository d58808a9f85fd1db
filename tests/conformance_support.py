"""Strict conformance of JSON answers to pydantic models written from the real API schemas.

Why not ``Model.model_validate``: both vkbottle-types and aiogram models accept unknown keys
and coerce types (``"5"`` for an int, an unknown enum value as ``NOT_SUPPORTED``), so a fake
could drift into shapes the real API never sends and still validate.  :func:`problems` walks
the JSON against the models' declared fields instead: every key must be a declared field (its
alias), every required field present, every value of the declared JSON type, every enum
value a declared member; ``null`` is refused because both APIs omit an absent field.  The
lax pydantic validation runs as well (:func:`assert_conforms`) for what the walk does not see.
"""

from __future__ import annotations

import datetime
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic


@dataclass(frozen=True)
class Dialect:
    """What one API's JSON looks like where the models cannot say it.

    ``int_bools``: VK's schema types many flags as ``base_bool_int`` (0/1) and vkbottle-types
    maps them to ``bool`` like real booleans, so VK may send either.  ``required``: fields the
    official schema requires that the model generator relaxed, by model class name.
    ``nulls``: the API sends ``null`` for an absent optional field (MAX's schema marks such
    fields ``nullable`` and even required), so ``null`` passes where the model allows None.
    ``extra``: keys the official schema declares that the models lack, by model class name
    (a subclass inherits them).
    """

    name: str
    int_bools: bool = False
    required: Mapping[str, frozenset[str]] = field(default_factory=dict)
    nulls: bool = False
    extra: Mapping[str, frozenset[str]] = field(default_factory=dict)


VK = Dialect(
    "VK",
    int_bools=True,
    # vk-api-schema wall/objects.json requires ``inner_type`` on posts; real answers carry it
    # ("inner_type": "wall_wallpost"); vkbottle-types made it optional for copy_history.
    required={"WallWallpostFull": frozenset({"inner_type"})},
)
TELEGRAM = Dialect("Telegram")

_NOT_SUPPORTED = "NOT_SUPPORTED_MEMBER"  # vkbottle-types' catch-all for unknown enum values


def _union_args(annotation: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return None


#: JSON's types by the Python types ``json`` decodes them to; bool before int (a subclass).
_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (type(None), "null"),
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
    (str, "str"),
    (list, "array"),
    (dict, "object"),
)


def _json_type(value: Any) -> str:
    return next((name for t, name in _JSON_TYPES if isinstance(value, t)), type(value).__name__)


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)


def problems(value: Any, annotation: Any, dialect: Dialect, path: str = "$") -> list[str]:
    """Every way ``value`` (decoded JSON) departs from ``annotation``; empty when it conforms."""
    if annotation is Any or annotation is object:
        return []
    if isinstance(annotation, str | typing.ForwardRef):
        return [f"{path}: unresolved annotation {annotation!r} (build the model first)"]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return problems(value, typing.get_args(annotation)[0], dialect, path)
    if value is None:
        if dialect.nulls and type(None) in (_union_args(annotation) or ()):
            return []
        return [f"{path}: null ({dialect.name} omits absent fields)"]
    args = _union_args(annotation)
    if args is not None:
        return _union_problems(value, [a for a in args if a is not type(None)], dialect, path)
    if origin is typing.Literal:
        allowed = typing.get_args(annotation)
        ok = any(value == a and _json_type(value) == _json_type(a) for a in allowed)
        return [] if ok else [f"{path}: {value!r} is not one of {allowed!r}"]
    if origin in (list, Sequence, tuple) or annotation in (list, tuple):
        if not isinstance(value, list):
            return [f"{path}: {_json_type(value)} where an array is expected"]
        item = (typing.get_args(annotation) or (Any,))[0]
        out: list[str] = []
        for i, v in enumerate(value):
            out.extend(problems(v, item, dialect, f"{path}[{i}]"))
        return out
    if origin in (dict, Mapping) or annotation is dict:
        if not isinstance(value, dict):
            return [f"{path}: {_json_type(value)} where an object is expected"]
        targs = typing.get_args(annotation)
        item = targs[1] if len(targs) == 2 else Any
        out = []
        for k, v in value.items():
            out.extend(problems(v, item, dialect, f"{path}.{k}"))
        return out
    if isinstance(annotation, type):
        return _type_problems(value, annotation, dialect, path)
    return [f"{path}: annotation {annotation!r} is not understood by the conformance check"]


def _union_problems(value: Any, options: list[Any], dialect: Dialect, path: str) -> list[str]:
    best: list[str] | None = None
    for option in options:
        found = problems(value, option, dialect, path)
        if not found:
            return []
        if best is None or len(found) < len(best):
            best = found
    names = " | ".join(_name(o) for o in options)
    return [f"{path}: matches none of {names}; closest: " + "; ".join(best or [])]


def _type_problems(value: Any, annotation: type, dialect: Dialect, path: str) -> list[str]:
    got = _json_type(value)
    if issubclass(annotation, pydantic.BaseModel):
        return model_problems(value, annotation, dialect, path)
    if issubclass(annotation, enum.Enum):
        members = [m.value for m in annotation if m.name != _NOT_SUPPORTED]
        ok = any(value == m and _json_type(value) == _json_type(m) for m in members)
        return [] if ok else [f"{path}: {value!r} is not a {annotation.__name__} {members!r}"]
    if annotation is bool:
        if got == "bool" or (dialect.int_bools and got == "int" and value in (0, 1)):
            return []
        return [f"{path}: {got} {value!r} where a boolean is expected"]
    if annotation is int:
        return [] if got == "int" else [f"{path}: {got} {value!r} where an integer is expected"]
    if annotation is float:
        ok = got in ("int", "float")
        return [] if ok else [f"{path}: {got} {value!r} where a number is expected"]
    if annotation is str:
        return [] if got == "str" else [f"{path}: {got} {value!r} where a string is expected"]
    if annotation is datetime.datetime:
        ok = got == "int"
        return [] if ok else [f"{path}: {got} {value!r} where a unix time is expected"]
    return [f"{path}: {got} where {annotation.__name__} is expected"]


def model_problems(
    value: Any, model: type[pydantic.BaseModel], dialect: Dialect, path: str = "$"
) -> list[str]:
    """Unknown keys, missing required fields and wrong values of one model object."""
    if not isinstance(value, dict):
        return [f"{path}: {_json_type(value)} where a {model.__name__} object is expected"]
    if not model.__pydantic_complete__:
        model.model_rebuild()  # vkbottle-types defer building: resolve forward references
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    extra = {k for cls in model.__mro__ for k in dialect.extra.get(cls.__name__, ())}
    out = [
        f"{path}.{k}: not a field of {model.__name__}"
        for k in value
        if k not in fields and k not in extra
    ]
    extra_required = dialect.required.get(model.__name__, frozenset())
    for key, info in fields.items():
        if key not in value:
            if info.is_required() or key in extra_required:
                out.append(f"{path}.{key}: required by {model.__name__} but missing")
            continue
        out.extend(problems(value[key], info.annotation, dialect, f"{path}.{key}"))
    return out


def assert_conforms(
    value: Any, model: type[pydantic.BaseModel], dialect: Dialect, what: str = ""
) -> None:
    """Fail with every problem found: the strict walk and pydantic's own validation."""
    found = model_problems(value, model, dialect)
    try:
        model.model_validate(value)
    except pydantic.ValidationError as exc:
        found.append(f"pydantic: {exc}")
    if found:
        head = f"{what or model.__name__} departs from {model.__name__}:"
        raise AssertionError("\n  ".join([head, *found]))


def assert_type_conforms(value: Any, annotation: Any, dialect: Dialect, what: str) -> None:
    """Like :func:`assert_conforms` for a non-model type (``list[Update]``, ``bool``...)."""
    found = problems(value, annotation, dialect)
    if found:
        raise AssertionError("\n  ".join([f"{what} departs from {_name(annotation)}:", *found]))
