"""The registry: agencies, pages, people and routing rules, loaded from YAML.

Errors name the file, the line, the entry and the problem, so an admin can fix a typo without
reading a traceback.
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
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


#: Where in the registry a problem is (``("pages", 3, "agency")``) and what it is.
Problem = tuple[tuple[int | str, ...], str]


class EntryProblems(ValueError):
    """Cross-entry problems found by a model validator, each with the path of its entry.

    Pydantic reports a model validator's error at the model itself; carrying the paths lets
    :func:`parse_registry` point each message at the entry's own line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(msg for _, msg in problems))
        self.problems = problems


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
    # Issue 12: urgent complaints (gas, flooding, a threat to life) run their own clock in
    # calendar hours, round the clock; leads hear of its breach this many hours later.
    urgent_hours: float = Field(default=2.0, gt=0)
    urgent_escalate_lead_after_hours: float = Field(default=1.0, ge=0)
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
    """Someone on Telegram (``telegram_id``), MAX (``max_user_id``) or both; with both,
    ``preferred`` says where alerts go (Telegram unless told)."""

    telegram_id: int | None = Field(default=None, gt=0)
    max_user_id: int | None = Field(default=None, gt=0)
    preferred: Literal["telegram", "max"] | None = None
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
        """Cross-entry checks; each problem keeps the path of its own entry, so the message
        points at that entry's line (see :class:`EntryProblems`)."""
        agency_ids = {a.id for a in self.agencies}
        known = ", ".join(sorted(agency_ids)) or "none yet"
        fix_agency = f" (fix: use one of the agencies' ids: {known}, or add it under agencies)"
        problems: list[Problem] = []
        first_agency: dict[str, int] = {}
        for i, agency in enumerate(self.agencies):
            if (j := first_agency.setdefault(agency.id, i)) != i:
                problems.append(
                    (
                        ("agencies", i, "id"),
                        f"agencies[{i}]: id {agency.id!r} is a duplicate of agencies[{j}] "
                        "(fix: give each agency its own id, or keep one entry)",
                    )
                )
        seen: dict[int, int] = {}
        for i, page in enumerate(self.pages):
            if page.agency not in agency_ids:
                problems.append(
                    (
                        ("pages", i, "agency"),
                        f"pages[{i}] (group_id {page.group_id}): unknown agency {page.agency!r}"
                        + fix_agency,
                    )
                )
            if (j := seen.setdefault(page.group_id, i)) != i:
                problems.append(
                    (
                        ("pages", i, "group_id"),
                        f"pages[{i}]: group_id {page.group_id} is listed twice, also as "
                        f"pages[{j}] (fix: keep one entry)",
                    )
                )
        first_person: dict[int, int] = {}
        first_max: dict[int, int] = {}
        for i, person in enumerate(self.people):
            problems.extend(
                (
                    ("people", i, "agencies", k),
                    f"people[{i}] ({person.name}): unknown agency {a!r}{fix_agency}",
                )
                for k, a in enumerate(person.agencies)
                if a not in agency_ids
            )
            if person.role is Role.OFFICIAL and not person.agencies:
                problems.append(
                    (
                        ("people", i),
                        f"people[{i}] ({person.name}): an official needs at least one agency "
                        "(fix: add agencies: [<agency id>])",
                    )
                )
            if person.telegram_id is None and person.max_user_id is None:
                problems.append(
                    (
                        ("people", i),
                        f"people[{i}] ({person.name}): no messenger to reach them (fix: add "
                        "telegram_id: <Telegram user id> or max_user_id: <MAX user id>)",
                    )
                )
            for field, key, seen_ids in (
                ("telegram_id", person.telegram_id, first_person),
                ("max_user_id", person.max_user_id, first_max),
            ):
                if key is not None and (j := seen_ids.setdefault(key, i)) != i:
                    problems.append(
                        (
                            ("people", i, field),
                            f"people[{i}] ({person.name}): {field} {key} is already used by "
                            f"people[{j}] ({self.people[j].name}) (fix: one entry per person; "
                            "list all of an official's agencies in that entry)",
                        )
                    )
        first_rule: dict[tuple[Topic, int | None], int] = {}
        for i, rule in enumerate(self.rules):
            if rule.agency not in agency_ids:
                problems.append(
                    (
                        ("rules", i, "agency"),
                        f"rules[{i}]: unknown agency {rule.agency!r}{fix_agency}",
                    )
                )
            if rule.page is not None and rule.page not in seen:
                problems.append(
                    (
                        ("rules", i, "page"),
                        f"rules[{i}]: unknown page {rule.page} "
                        "(fix: list the page under pages, or drop page from the rule)",
                    )
                )
            if (j := first_rule.setdefault((rule.topic, rule.page), i)) != i:
                where = "any page" if rule.page is None else f"page {rule.page}"
                problems.append(
                    (
                        ("rules", i),
                        f"rules[{i}]: topic {rule.topic.value} on {where} is already routed by "
                        f"rules[{j}] (fix: keep one of the two rules)",
                    )
                )
        if problems:
            raise EntryProblems(problems)
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
    """1-based line of the YAML node at ``loc``: the deepest that exists, a mapping entry at its
    key (an empty ``pages:`` points at that key); ``None`` for a missing top-level key."""
    line = None if node is None else node.start_mark.line + 1
    for depth, key in enumerate(loc):
        at: yaml.Node | None = None  # where the step is written: a key, or a list item
        if isinstance(node, yaml.MappingNode):
            at, nxt = next(
                ((k, v) for k, v in node.value if getattr(k, "value", None) == key), (None, None)
            )
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value)
        ):
            at = nxt = node.value[key]
        else:
            nxt = None
        if nxt is None or at is None:
            # A missing top-level section has no line of its own: the file's first is no help.
            return None if depth == 0 else line
        node = nxt
        line = at.start_mark.line + 1
    return line


SECTIONS = ("agencies", "pages", "people", "rules")
_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "agencies": Agency,
    "pages": Page,
    "people": Person,
    "rules": Rule,
}


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")


def _field_message(err: Any) -> str:
    """Pydantic's message, with the fix spelled out for the common slips."""
    loc = tuple(err["loc"])
    msg: str = err["msg"].removeprefix("Value error, ")
    model = _SECTION_MODELS.get(str(loc[0])) if loc else None
    name = loc[-1] if loc else ""
    if err["type"] == "extra_forbidden" and model is not None and isinstance(name, str):
        fields = list(model.model_fields)
        close = difflib.get_close_matches(name, fields, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known fields: " + ", ".join(fields)
        return f"unknown field {name!r} (fix: {hint})"
    if err["type"] == "enum" and isinstance(name, str):
        expected = err.get("ctx", {}).get("expected", "")
        return f"unknown {name} {err.get('input')!r} (fix: use {expected})"
    if err["type"] == "missing" and isinstance(name, str):
        return f"{msg} (fix: add {name}: …)"
    return msg


def parse_registry(
    data: Any,
    *,
    source: str = "<registry>",
    node: yaml.Node | None = None,
    whole_file: bool = False,
) -> Registry:
    """Validate already-parsed registry data; errors name ``source``, the line and the entry.

    ``whole_file``: ``data`` is a registry file of its own, so an unknown section (a typo such
    as ``page:``) and a registry without agencies or pages are errors too."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RegistryError(
            f"{source}: the registry must be a mapping with agencies/pages/people/rules "
            "(fix: start from registry.example.yaml)"
        )
    problems: list[Problem] = []
    if whole_file:
        for key in data:
            if key not in SECTIONS:
                close = difflib.get_close_matches(str(key), SECTIONS, n=1)
                hint = (
                    f"did you mean {close[0]}?"
                    if close
                    else "the sections are " + ", ".join(SECTIONS)
                )
                problems.append(((str(key),), f"unknown section {key!r} (fix: {hint})"))
    registry_data = {k: v for k, v in data.items() if k in SECTIONS}
    try:
        registry = Registry.model_validate(registry_data)
    except ValidationError as exc:
        for err in exc.errors():
            found = err.get("ctx", {}).get("error")
            if isinstance(found, EntryProblems):
                problems.extend(found.problems)
            else:
                loc = tuple(err["loc"])
                problems.append((loc, f"{_where(loc) or 'registry'}: {_field_message(err)}"))
    else:
        if whole_file and not registry.agencies:
            problems.append(
                (
                    ("agencies",),
                    "no agencies: the registry is empty (fix: list at least one agency under "
                    "agencies:, see registry.example.yaml)",
                )
            )
        if whole_file and not registry.pages:
            problems.append(
                (
                    ("pages",),
                    "no pages: nothing would be watched (fix: list the VK pages under pages:, "
                    "see registry.example.yaml)",
                )
            )
        if not problems:
            return registry
    lines = []
    for loc, msg in problems:
        line = yaml_line(node, loc)
        lines.append(f"{source}:{line}: {msg}" if line else f"{source}: {msg}")
    raise RegistryError("\n".join(lines))


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml when present), refusing a key given twice in one mapping: YAML
    would silently keep the last, so a second ``agencies:`` block would drop the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in first:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{key_node.value!r} is given twice (first on line "
                    f"{first[key_node.value]}); fix: merge the two into one",
                    key_node.start_mark,
                )
            first[key_node.value] = key_node.start_mark.line + 1
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def read_yaml(text: str) -> Any:
    """Parse YAML safely (libyaml when present), refusing duplicate keys."""
    return yaml.load(text, Loader=_Loader)  # a safe loader


def yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """``file:line: not valid YAML: what`` for a parse error (the line when YAML knows it)."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    return f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"


def read_yaml_file(path: Path, error: type[ValueError], cannot_read: str) -> tuple[str, Any]:
    """The text of the YAML file ``path`` and its data; ``error`` naming the file when it
    cannot be read (``cannot_read``: what it is and the fix, with ``{why}``) or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise error(f"{path}: " + cannot_read.format(why=why)) from None
    try:
        return text, read_yaml(text)
    except yaml.YAMLError as exc:
        raise error(yaml_problem(path, exc)) from None


_CANNOT_READ = (
    "cannot read the registry file: {why} (fix: set OTKLIK__REGISTRY_PATH to your registry "
    "YAML; start from registry.example.yaml)"
)


def load_registry(path: Path) -> Registry:
    """Read and validate a registry YAML file."""
    # libyaml when present: the pure-Python parser takes ~20 s on a 30,000-page registry.
    text, data = read_yaml_file(path, RegistryError, _CANNOT_READ)
    try:
        return parse_registry(data, source=str(path), whole_file=True)
    except RegistryError:
        # Only an invalid file needs the node tree, for the line numbers in the message.
        node = yaml.compose(text, Loader=_Loader)
        return parse_registry(data, source=str(path), node=node, whole_file=True)
