"""Rate limits for what users submit (questions, postings, webhooks), shared by every app server.

Counters live in the shared cache (the database cache table, or Redis with REDIS_URL), in fixed
windows: "10/m" allows ten hits a minute, "5/15m" five in fifteen minutes, "100/h", "500/d"
(the syntax of allauth's rate limits, used for signups and logins). With the database cache two
simultaneous hits may count once: a limit can let a hit or two more through under a race, never
fewer. django-ratelimit, the usual library, refuses the database cache outright.
"""

import hashlib
import re
import time
from dataclasses import dataclass

from django.core.cache import cache

RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Rate:
    amount: int
    seconds: int


def parse_rate(rate: str) -> Rate:
    match = RATE.match(rate.strip())
    if match is None:
        raise ValueError(f"not a rate: {rate!r} (e.g. 10/m, 5/15m, 100/h)")
    amount, count, unit = match.groups()
    return Rate(int(amount), int(count or 1) * UNIT_SECONDS[unit])


def _key(scope: str, key: str, rate: Rate) -> str:
    window = int(time.time()) // rate.seconds
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no address or id in the cache
    return f"ratelimit:{scope}:{rate.seconds}:{window}:{digest}"


def rate_limit_hit(*, scope: str, key: str, rate: str) -> bool:
    """Count a hit of `key` against `rate`; True when it goes over (refuse it)."""
    limit = parse_rate(rate)
    cache_key = _key(scope, key, limit)
    cache.add(cache_key, 0, limit.seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, limit.seconds + 5)
        count = 1
    return count > limit.amount


def rate_limit_reached(*, scope: str, key: str, rate: str) -> bool:
    """Whether `key` has used up `rate` in this window, without counting a hit."""
    limit = parse_rate(rate)
    return int(cache.get(_key(scope, key, limit), 0)) >= limit.amount
