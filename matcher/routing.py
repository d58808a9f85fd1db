"""Routing: (page, topic) → agency, keeping the rule that fired."""

from __future__ import annotations

from dataclasses import dataclass

from config.registry import Registry
from matcher.topics import Topic


@dataclass(frozen=True, slots=True)
class Route:
    agency_id: str
    rule: str  # human-readable: which rule decided


def route(registry: Registry, group_id: int, topic: Topic) -> Route | None:
    """Most specific rule wins: page+topic, then topic anywhere, then the page's own agency."""
    for rule in registry.rules:
        if rule.page == group_id and rule.topic is topic:
            return Route(rule.agency, f"page {group_id} + topic {topic.value} → {rule.agency}")
    for rule in registry.rules:
        if rule.page is None and rule.topic is topic:
            return Route(rule.agency, f"topic {topic.value} → {rule.agency}")
    page = registry.page(group_id)
    if page is None:
        return None
    return Route(page.agency, f"page {group_id} default → {page.agency}")
