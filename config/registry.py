"""The registry: agencies, pages, people and routing rules, loaded from YAML.

Errors name the file, the line, the entry and the problem, so an admin can fix a typo without
reading a traceback.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from matcher.topics import Topic


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    MODERATOR = "moderator"
    OFFICIAL = "official"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agency(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    tz: str = "Europe/Moscow"
    always_open: bool = False
    first_response_hours: float = Field(default=8.0, gt=0)
    # SLA overrides (issue 6): the update clock after a reopen defaults to the first-response
    # target; a solution target is optional; leads hear of a breach this much later.
    update_hours: float | None = Field(default=None, gt=0)
    solution_hours: float | None = Field(default=None, gt=0)
    escalate_lead_after_hours: float = Field(default=4.0, ge=0)
    answering_pages: tuple[int, ...] = ()
    region: str | None = None  # moderators and leads with this region see only its agencies

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Moscow)"
            ) from exc
        return value


class Page(_Strict):
    group_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    screen_name: str | None = None
    agency: str


class Person(_Strict):
    telegram_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    role: Role
    agencies: tuple[str, ...] = ()
    vk_id: int | None = None
    tz: str | None = None
    region: str | None = None  # a moderator's or lead's region; none = the whole installation


class Rule(_Strict):
    """Route complaints of ``topic`` (on ``page``, or on any page when omitted) to ``agency``."""

    topic: Topic
    agency: str
    page: int | None = None


class Registry(_Strict):
    agencies: tuple[Agency, ...] = ()
    pages: tuple[Page, ...] = ()
    people: tuple[Person, ...] = ()
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _references_exist(self) -> Registry:
        agency_ids = {a.id for a in self.agencies}
        known = ", ".join(sorted(agency_ids)) or "none yet"
        fix_agency = f" (fix: use one of the agencies' ids: {known}, or add it under agencies)"
        problems: list[str] = []
        seen: set[int] = set()
        for i, page in enumerate(self.pages):
            if page.agency not in agency_ids:
                problems.append(
                    f"pages[{i}] (group_id {page.group_id}): unknown agency {page.agency!r}"
                    + fix_agency
                )
            if page.group_id in seen:
                problems.append(
                    f"pages[{i}]: group_id {page.group_id} is listed twice (fix: keep one entry)"
                )
            seen.add(page.group_id)
        for i, person in enumerate(self.people):
            problems.extend(
                f"people[{i}] ({person.name}): unknown agency {a!r}{fix_agency}"
                for a in person.agencies
                if a not in agency_ids
            )
            if person.role is Role.OFFICIAL and not person.agencies:
                problems.append(
                    f"people[{i}] ({person.name}): an official needs at least one agency "
                    "(fix: add agencies: [<agency id>])"
                )
        for i, rule in enumerate(self.rules):
            if rule.agency not in agency_ids:
                problems.append(f"rules[{i}]: unknown agency {rule.agency!r}{fix_agency}")
            if rule.page is not None and rule.page not in seen:
                problems.append(
                    f"rules[{i}]: unknown page {rule.page} "
                    "(fix: list the page under pages, or drop page from the rule)"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def _agencies_by_id(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    @cached_property
    def _pages_by_id(self) -> dict[int, Page]:
        # Ingest asks for every comment's page: a scan of 30,000 pages cost ~2 ms each.
        return {p.group_id: p for p in self.pages}

    def agency(self, agency_id: str) -> Agency:
        return self._agencies_by_id[agency_id]

    def page(self, group_id: int) -> Page | None:
        return self._pages_by_id.get(group_id)


class RegistryError(ValueError):
    """A registry file that cannot be used, with every problem spelled out."""


def yaml_line(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (the deepest that exists)."""
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value)
        ):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def parse_registry(
    data: Any, *, source: str = "<registry>", node: yaml.Node | None = None
) -> Registry:
    """Validate already-parsed registry data; errors name ``source``, the line and the entry."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RegistryError(
            f"{source}: the registry must be a mapping with agencies/pages/people/rules"
        )
    known = {"agencies", "pages", "people", "rules"}
    registry_data = {k: v for k, v in data.items() if k in known}
    try:
        return Registry.model_validate(registry_data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(
                ".[", "["
            )
            line = yaml_line(node, loc)
            at = f"{source}:{line}" if line else source
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{at}: {where or 'registry'}: {msg}")
        raise RegistryError("\n".join(lines)) from None


def load_registry(path: Path) -> Registry:
    """Read and validate a registry YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry file: {exc.strerror}") from None
    # libyaml when present: the pure-Python parser takes ~20 s on a 30,000-page registry.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # a safe loader (libyaml or pure Python)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise RegistryError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        return parse_registry(data, source=str(path))
    except RegistryError:
        # Only an invalid file needs the node tree, for the line numbers in the message.
        return parse_registry(data, source=str(path), node=yaml.compose(text, Loader=loader))
