"""The scenario format of product.md §8: a world, a timeline of events, a start and an end."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.registry import (
    Agency,
    EntryProblems,
    Page,
    Person,
    Problem,
    Registry,
    RegistryError,
    Rule,
    parse_registry,
    read_yaml_file,
    yaml_line,
    yaml_problem,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScenarioPage(Page):
    """A registry page plus what the sandbox does for it: ``community: true`` gives the app a
    community token for it (answers from the messenger are published with it, issue 15, and
    the page is followed through Long Poll)."""

    community: bool = False


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


class ScenarioMax(_Model):
    """A MAX user's action (issue 13): a message (``text``), a button press (``press``: the
    payload, on the latest of the bot's messages to them that carries it) or opening the
    bot's deep link (``start``: its payload, e.g. an invite code)."""

    from_: int = Field(alias="from", gt=0)
    text: str | None = None
    press: str | None = None
    start: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> ScenarioMax:
        if sum(x is not None for x in (self.text, self.press, self.start)) != 1:
            raise ValueError("a max event needs exactly one of text/press/start")
        return self


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
    max: ScenarioMax | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ScenarioEvent:
        kinds = [k for k in ("comment", "edit", "delete", "telegram", "max") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError("each event needs exactly one of comment/edit/delete/telegram/max")
        return self


class Scenario(_Model):
    start: datetime
    end: datetime
    agencies: tuple[Agency, ...] = ()
    pages: tuple[ScenarioPage, ...] = ()
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

    @model_validator(mode="after")
    def _declared(self) -> Scenario:
        """Posts and events may only touch declared pages, posts and earlier comments: the
        fake VK would otherwise fail in the middle of a run with a traceback."""
        problems = _reference_problems(self)
        if problems:
            raise EntryProblems(problems)
        return self

    def registry(self) -> Registry:
        return parse_registry(
            {
                "agencies": [a.model_dump() for a in self.agencies],
                "pages": [p.model_dump(exclude={"community"}) for p in self.pages],
                "people": [p.model_dump() for p in self.people],
                "rules": [r.model_dump() for r in self.rules],
            },
            source="scenario",
        )


def _reference_problems(sc: Scenario) -> list[Problem]:
    pages = {p.group_id for p in sc.pages}
    declared = ", ".join(map(str, sorted(pages))) or "none"
    problems: list[Problem] = []

    def page_ok(loc: tuple[int | str, ...], what: str, page: int) -> bool:
        if page in pages:
            return True
        problems.append(
            (
                (*loc, "page"),
                f"{what}: page {page} is not declared under pages (fix: add it under pages, "
                f"or use a declared one: {declared})",
            )
        )
        return False

    posts: dict[tuple[int, int], ScenarioPost] = {}
    ids: set[tuple[int, int]] = set()  # (page, id): posts and comments share a wall's ids
    for i, post in enumerate(sc.posts):
        if not page_ok(("posts", i), f"posts[{i}]", post.page):
            continue
        if (post.page, post.id) in ids:
            problems.append(
                (("posts", i, "id"), f"posts[{i}]: id {post.id} is used twice on page {post.page}")
            )
        ids.add((post.page, post.id))
        posts[(post.page, post.id)] = post
    comments: dict[tuple[int, int], tuple[int, datetime]] = {}  # (page, id) -> (post, at)
    for i, ev in enumerate(sc.events):
        what = f"events[{i}]"
        if (c := ev.comment) is not None:
            loc: tuple[int | str, ...] = ("events", i, "comment")
            target_post = posts.get((c.page, c.post))
            if not page_ok(loc, what, c.page):
                pass
            elif target_post is None:
                problems.append(
                    (
                        (*loc, "post"),
                        f"{what}: post {c.post} of page {c.page} is not declared under posts "
                        "(fix: add it under posts, or correct the post id)",
                    )
                )
            elif ev.at < target_post.at:
                problems.append(
                    ((*loc,), f"{what}: the comment is before its post ({target_post.at})")
                )
            if c.reply_to is not None:
                parent = comments.get((c.page, c.reply_to))
                if parent is None or parent[0] != c.post or ev.at < parent[1]:
                    problems.append(
                        (
                            (*loc, "reply_to"),
                            f"{what}: reply_to {c.reply_to} is not an earlier comment with that "
                            f"id under post {c.post} (fix: reply to a comment declared above)",
                        )
                    )
            if c.id is not None:
                if (c.page, c.id) in ids:
                    problems.append(
                        ((*loc, "id"), f"{what}: id {c.id} is used twice on page {c.page}")
                    )
                ids.add((c.page, c.id))
                # Recorded even when wrong above, so its replies are not reported as well.
                comments[(c.page, c.id)] = (c.post, ev.at)
        for kind, change in (("edit", ev.edit), ("delete", ev.delete)):
            if change is None:
                continue
            loc = ("events", i, kind)
            if not page_ok(loc, what, change.page):
                continue
            target = comments.get((change.page, change.id))
            if target is None or ev.at < target[1]:
                problems.append(
                    (
                        (*loc, "id"),
                        f"{what}: {kind} of comment {change.id} on page {change.page}, which "
                        "is not a comment declared above (fix: correct the id)",
                    )
                )
    return problems


class ScenarioError(ValueError):
    pass


_CANNOT_READ = (
    "cannot read the scenario: {why} (fix: give the path of a scenario YAML, "
    "e.g. sandbox/scenarios/demo.yaml)"
)


def load_scenario(path: Path) -> Scenario:
    """Read a scenario YAML; errors name the file, the line and the problem."""
    text, data = read_yaml_file(path, ScenarioError, _CANNOT_READ)
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(yaml_problem(path, exc)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping with start, end, pages, events, …")
    try:
        # The world first: its sections are laid out like a registry file's.
        parse_registry(
            {k: v for k, v in data.items() if k in ("agencies", "pages", "people", "rules")},
            source=str(path),
            node=node,
        )
        return Scenario.model_validate(data)
    except RegistryError as exc:
        raise ScenarioError(str(exc)) from None
    except ValidationError as exc:
        msgs: list[str] = []
        for err in exc.errors():
            found = err.get("ctx", {}).get("error")
            entries = (
                found.problems
                if isinstance(found, EntryProblems)
                else [
                    (
                        tuple(err["loc"]),
                        f"{'.'.join(map(str, err['loc'])) or 'scenario'}: "
                        + err["msg"].removeprefix("Value error, "),
                    )
                ]
            )
            for loc, msg in entries:
                line = yaml_line(node, loc)
                msgs.append(f"{path}:{line}: {msg}" if line else f"{path}: {msg}")
        raise ScenarioError("\n".join(msgs)) from None
