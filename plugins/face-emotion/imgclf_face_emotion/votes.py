"""FER+ annotator votes: one row's parts, the majority rule, the vote shares.

FER+ (Microsoft, github.com/microsoft/FERPlus) gives each FER2013 image ten vote
counts, in the order of ``FERPLUS``: eight emotions, then ``unknown`` and ``NF``
(not a face). Both FER+ loaders (``fer2013-csv`` with ``loader.ferplus``, and
``ferplus`` for the FERPlus folder layout) read votes and count what they leave
out through this module, so an image gets the same label, or is left out for the
same reason, whichever way it is read.
"""

from __future__ import annotations

from collections import Counter

from imgclf import DataError

FERPLUS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
           "contempt", "unknown", "NF")  # fmt: skip
#: The eight emotions of FERPLUS (the task's classes through its label aliases).
EMOTIONS = FERPLUS[:8]
#: The face box column of FERPlus' label.csv: (left, top, right, bottom).
BOX_EXAMPLE = "(0, 0, 48, 48)"


def ferplus_label(votes: list[int]) -> str | None:
    """The FER+ majority label of ten vote counts, or None without a majority.

    The rule of Microsoft's FER+ reader (``ferplus.py``, mode ``majority``): counts
    of a single vote are dropped as outliers, and the column with the most of the
    remaining votes is the label when it holds more than half of them (a tie never
    does). The label may be ``unknown`` or ``NF``.
    """
    kept = [v if v > 1 else 0 for v in votes]  # a single vote is an outlier
    top = max(kept)
    if top == 0 or top <= sum(kept) / 2:
        return None
    return FERPLUS[kept.index(top)]


def majority(votes: list[int], skipped: Counter) -> str | None:
    """The FER+ majority emotion of ``votes``; None when there is none, counted in
    ``skipped`` as ``FER+ no majority`` or ``FER+ majority unknown`` / ``NF``."""
    label = ferplus_label(votes)
    if label is None:
        skipped["FER+ no majority"] += 1
    elif label in ("unknown", "NF"):
        skipped[f"FER+ majority {label}"] += 1
        return None
    return label


def shares(votes: list[int], skipped: Counter) -> dict[str, float] | None:
    """The emotion votes of ``votes`` as shares summing to 1 (unknown and NF votes
    dropped, single votes kept), keyed by FER+ emotion name; None, counted in
    ``skipped``, when unknown or NF holds more votes than any emotion (``FER+ top
    vote unknown`` / ``NF``) or no emotion has a vote (``FER+ no emotion votes``)."""
    emotion = votes[: len(EMOTIONS)]
    total, top = sum(emotion), max(emotion)
    if total <= 0:
        skipped["FER+ no emotion votes"] += 1
        return None
    other = max(range(len(EMOTIONS), len(FERPLUS)), key=lambda i: votes[i])
    if votes[other] > top:
        skipped[f"FER+ top vote {FERPLUS[other]}"] += 1
        return None
    return {name: v / total for name, v in zip(EMOTIONS, emotion) if v > 0}


def top_emotion(soft: dict[str, float]) -> str:
    """The emotion with the largest share (the first in FER+ order on a tie)."""
    return max(EMOTIONS, key=lambda name: soft.get(name, 0.0))


def parse_box(text: str, where: str) -> tuple[int, int, int, int]:
    """FERPlus' face box ``(left, top, right, bottom)`` as imgclf's (x, y, width, height)."""
    parts = text.strip().removeprefix("(").removesuffix(")").split(",")
    try:
        left, top, right, bottom = (int(float(p)) for p in parts)
    except ValueError:
        raise DataError(
            f"{where}: the face box {text!r} is not four numbers like {BOX_EXAMPLE!r} "
            "(left, top, right, bottom)."
        ) from None
    if right <= left or bottom <= top:
        raise DataError(
            f"{where}: the face box {text!r} is empty: right must exceed left and bottom "
            f"top, as in {BOX_EXAMPLE!r}."
        )
    return left, top, right - left, bottom - top


def parse_row(
    cells: list[str], where: str
) -> tuple[str, tuple[int, int, int, int] | None, list[int]]:
    """(image name, face box or None, ten votes) of a FER+ label row: the image name,
    an optional face box (FERPlus' ``label.csv``: ``"(0, 0, 48, 48)"``), then the ten
    vote counts in FERPLUS order."""
    cells = [c.strip() for c in cells]
    boxed = len(cells) > 1 and cells[1].startswith("(")
    if len(cells) != len(FERPLUS) + 1 + boxed:
        raise DataError(
            f'{where}: expected an image name, a face box like "{BOX_EXAMPLE}" (optional) '
            f"and {len(FERPLUS)} vote counts ({', '.join(FERPLUS)}); got {len(cells)} "
            f"column(s): {cells}."
        )
    box = parse_box(cells[1], where) if boxed else None
    counts = cells[-len(FERPLUS) :]
    try:
        votes = [int(float(v)) for v in counts]
    except ValueError:
        raise DataError(f"{where}: the vote counts {counts} are not all numbers.") from None
    if min(votes) < 0:
        raise DataError(f"{where}: the vote counts {counts} include a negative number.")
    return cells[0], box, votes
