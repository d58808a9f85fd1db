"""The training variants of matcher.augment: the same label, the same rows every run."""

from __future__ import annotations

from matcher.augment import VARIANTS, surface_variants
from matcher.model import LabelledExample
from matcher.rules import analyse
from matcher.topics import Topic


def _rows() -> list[LabelledExample]:
    return [
        LabelledExample(
            text=f"Яма на улице Лесной у дома {n}", needs_answer=True, topic=Topic.ROADS
        )
        for n in range(400)
    ] + [
        LabelledExample(text=f"[id{n}|Оля], у нас тоже так было", needs_answer=False)
        for n in range(400)
    ]


def test_variants_keep_the_label_and_frame_the_same_words() -> None:
    made = 0
    for row in _rows():
        for variant in surface_variants([row]):
            made += 1
            assert (variant.needs_answer, variant.topic) == (row.needs_answer, row.topic)
            # only the formulas were added: the words the model reads are the row's own
            assert analyse(variant.text).own_tokens() == analyse(row.text).tokens, variant.text
            # a reply to a resident starts with the name: no greeting is put before it
            assert variant.text.startswith("[id") or not row.text.startswith("[id")
    assert made


def test_variants_are_a_fixed_share_chosen_the_same_way_every_run() -> None:
    rows = _rows()
    first, second = surface_variants(rows), surface_variants(rows)
    assert [v.text for v in first] == [v.text for v in second]
    expected = sum(len(rows) / one_in for _, _, one_in in VARIANTS)
    assert 0.5 * expected < len(first) < 1.5 * expected


def test_the_bench_frames_messages_with_other_words_than_training() -> None:
    """bench/matcher.py's «typed otherwise» figures must measure the habit, not the list the
    model was trained with."""
    from bench.matcher import SURFACE
    from matcher import augment

    trained = {s.strip() for s in (*augment._CLOSINGS, *augment._GREETINGS)}
    text = "Яма на улице Лесной у дома 5"
    for name, variant in SURFACE:
        if name not in ("closing", "greeting"):
            continue
        for i in range(12):
            added = variant(text, i).replace(text, "").strip()
            assert added and added not in trained, (name, added)
