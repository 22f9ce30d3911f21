"""Exponential backoff with full jitter, and a retry loop that only retries transient errors."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from zippifi.errors import InvalidInputError, TransientRpcError
from zippifi.log import get_logger

T = TypeVar("T")
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Attempt n (0-based) waits a uniform random time in [0, min(cap_s, base_s x factor^n)]:
    "full jitter", so many clients retrying together spread out instead of hitting the node in
    waves."""

    base_s: float = 0.05
    factor: float = 2.0
    cap_s: float = 5.0
    attempts: int = 8  # tries in all, the first included

    def __post_init__(self) -> None:
        if not self.base_s > 0 or not self.cap_s >= self.base_s or not self.factor >= 1:
            raise InvalidInputError(
                f"backoff: need base_s > 0, cap_s >= base_s, factor >= 1; got {self}"
            )
        if self.attempts < 1:
            raise InvalidInputError(f"backoff: attempts must be >= 1, got {self.attempts}")

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt ``attempt``."""
        if attempt < 0:
            raise InvalidInputError(f"backoff: attempt must be >= 0, got {attempt}")
        # factor ** attempt overflows a float for large attempts; the cap is reached long before
        if attempt > 64:
            return self.cap_s
        return min(self.cap_s, self.base_s * self.factor**attempt)

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, self.ceiling(attempt))


async def retry(
    operation: Callable[[], Awaitable[T]],
    backoff: Backoff,
    *,
    rng: random.Random,
    what: str,
    retry_on: tuple[type[BaseException], ...] = (TransientRpcError,),
) -> T:
    """Run ``operation``, retrying after ``retry_on`` errors with backoff; the last error is
    raised once the attempts are used up. Other errors propagate at once."""
    for attempt in range(backoff.attempts):
        try:
            return await operation()
        except retry_on as exc:
            if attempt + 1 >= backoff.attempts:
                raise
            wait = backoff.delay(attempt, rng)
            log.debug("retrying", what=what, attempt=attempt + 1, wait_s=round(wait, 3),
                      error=str(exc)[:200])  # fmt: skip
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
