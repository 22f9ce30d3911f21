"""State machines as data: for each status, the statuses it may move to.

A status missing from a table is terminal. Every layer checks a move with
:func:`check_transition` before it writes it, so an illegal move is refused the same way
whether it comes from execution, risk or a reconciliation after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping

from zippifi.errors import InvalidTransitionError

Transitions = Mapping[str, frozenset[str]]


def can_transition(current: str, new: str, allowed: Transitions) -> bool:
    return new in allowed.get(current, frozenset())


def check_transition(what: str, current: str, new: str, allowed: Transitions) -> None:
    """Raise InvalidTransitionError, naming ``what`` (e.g. "trade intent 7"), unless the table
    allows ``current -> new``."""
    if not can_transition(current, new, allowed):
        raise InvalidTransitionError(f"{what}: cannot go from {current!r} to {new!r}")


def terminal(statuses: tuple[str, ...], allowed: Transitions) -> frozenset[str]:
    """The statuses with no way out."""
    return frozenset(s for s in statuses if not allowed.get(s))
