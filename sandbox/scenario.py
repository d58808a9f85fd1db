"""The scenario format of product.md §8: a world, a timeline of events, a start and an end."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.registry import Agency, Page, Person, Registry, RegistryError, Rule, parse_registry


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScenarioPost(_Model):
    page: int
    id: int
    at: datetime
    text: str = ""
    comments_closed: bool = False


class ScenarioComment(_Model):
    page: int
    post: int
    id: int | None = None
    from_id: int
    name: str | None = None
    text: str
    reply_to: int | None = None


class ScenarioTelegram(_Model):
    from_: int = Field(alias="from")
    text: str | None = None
    callback: str | None = None  # callback data pressed on ...
    message: int | None = None  # ... this message id of the person's chat


class ScenarioCommentEdit(_Model):
    page: int
    id: int
    text: str


class ScenarioCommentDelete(_Model):
    page: int
    id: int


class ScenarioEvent(_Model):
    at: datetime
    comment: ScenarioComment | None = None
    edit: ScenarioCommentEdit | None = None
    delete: ScenarioCommentDelete | None = None
    telegram: ScenarioTelegram | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ScenarioEvent:
        kinds = [k for k in ("comment", "edit", "delete", "telegram") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError("each event needs exactly one of comment/edit/delete/telegram")
        return self


class Scenario(_Model):
    start: datetime
    end: datetime
    agencies: tuple[Agency, ...] = ()
    pages: tuple[Page, ...] = ()
    people: tuple[Person, ...] = ()
    rules: tuple[Rule, ...] = ()
    posts: tuple[ScenarioPost, ...] = ()
    events: tuple[ScenarioEvent, ...] = ()

    @model_validator(mode="after")
    def _times(self) -> Scenario:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a UTC offset, e.g. 2026-11-23T08:00:00+03:00")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        for i, ev in enumerate(self.events):
            if ev.at.tzinfo is None:
                raise ValueError(f"events[{i}]: 'at' needs a UTC offset")
        return self

    def registry(self) -> Registry:
        return parse_registry(
            {
                "agencies": [a.model_dump() for a in self.agencies],
                "pages": [p.model_dump() for p in self.pages],
                "people": [p.model_dump() for p in self.people],
                "rules": [r.model_dump() for r in self.rules],
            },
            source="scenario",
        )


class ScenarioError(ValueError):
    pass


def load_scenario(path: Path) -> Scenario:
    """Read a scenario YAML; errors name the file, the line and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    try:
        scenario = Scenario.model_validate(data)
        scenario.registry()
    except ValidationError as exc:
        from config.registry import yaml_line

        msgs = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = yaml_line(node, loc)
            where = ".".join(map(str, loc)) or "scenario"
            msgs.append(
                f"{path}:{line or '?'}: {where}: {err['msg'].removeprefix('Value error, ')}"
            )
        raise ScenarioError("\n".join(msgs)) from None
    except RegistryError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return scenario
