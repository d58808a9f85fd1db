"""Build aiogram's Telegram types when first used, not all ~450 of them at import (issue 11).

``import aiogram.types`` calls ``model_rebuild`` on every type.  pydantic-core compiles each
model's validator with its own copy of every nested model's validator, so ``Message``'s large
tree is compiled again into each of the dozens of types that refer to it: about 125 MB of a
process's memory and 2 s of start-up, for types the bot never receives or sends.

:func:`install`, called before anything imports aiogram, lets that import skip the rebuild
and gives each type's module the names its forward references need, so pydantic builds a type
on its first use (its ``defer_build`` config) from the same namespace aiogram would have used.
The types the bot uses every time (``Update``, ``Message``) are built at once, so a broken
forward reference shows at start-up, and if anything goes wrong the types are built eagerly
after all, as aiogram does.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

#: Types built at install: every update and every sent message goes through them.
EAGER = ("Update", "Message", "CallbackQuery")


def install() -> bool:
    """Import ``aiogram.types`` with deferred builds; False when it was imported already (or
    the deferral failed and the types were built eagerly)."""
    if "aiogram.types" in sys.modules:
        return False
    from pydantic import BaseModel

    captured: dict[str, Mapping[str, Any]] = {}
    original = BaseModel.__dict__["model_rebuild"]

    def record(cls: type[BaseModel], /, **kwargs: Any) -> bool | None:
        namespace = kwargs.get("_types_namespace")
        if namespace is not None:
            captured.setdefault("ns", namespace)
        return None

    BaseModel.model_rebuild = classmethod(record)  # type: ignore[assignment,method-assign]
    try:
        import aiogram.types as types
    finally:
        BaseModel.model_rebuild = original  # type: ignore[method-assign]
    namespace = captured.get("ns")
    models = [
        obj
        for name in types.__all__
        if isinstance(obj := getattr(types, name), type) and issubclass(obj, BaseModel)
    ]
    try:
        if namespace is None:
            raise RuntimeError("aiogram.types rebuilt nothing: its import changed")
        for model in models:
            module = sys.modules.get(model.__module__)
            if module is not None:
                for key, value in namespace.items():
                    module.__dict__.setdefault(key, value)
        for name in EAGER:
            getattr(types, name).model_rebuild()
    except Exception:
        log.warning("aiogram types could not be deferred; building them all", exc_info=True)
        for model in models:
            model.model_rebuild(_types_namespace=namespace)
        return False
    return True
