"""The metering rules, all of them. A reader should be able to hold this module in their head.

- A viewer is a guest (random id in the session) or an account (keyed hash of its email, so a
  deleted and re-created account finds its old meter). Only accounts with a verified address get
  their plan's allowance; others count as guests.
- A view is the first time a viewer opens a code's page in the period (default: the calendar
  month, UTC). Opening it again is free. Only `meter_open(..., charge=True)` records views, and
  only the code page calls it, for real GET navigations.
- Guests also draw on a daily allowance per network fingerprint (a keyed hash of the IP prefix and
  the browser family and major version), so clearing cookies does not mint views, while a team
  behind one address is not shut out after one view.
- Allowances come from the plans (accounts.Plan); the database enforces them: a view row unique per
  (meter, code), a conditional increment `used < allowance` and a check constraint.
- Logging in carries the guest's views of the period into the account (as far as its allowance
  goes); logging out keeps the guest id, so nothing is reset.
"""

import datetime
import hashlib
import hmac
import ipaddress
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from ua_parser import parse_user_agent

from accounts.models import Plan, User
from codes.models import Code
from metering.models import Meter, MeterView, NetworkKey

GUEST_SESSION_KEY = "codeahead_guest_id"


# Periods


def period_start(today: datetime.date) -> datetime.date:
    """First day of the metering period holding `today` (METER_PERIOD: "month" or "day")."""
    return today if settings.METER_PERIOD == "day" else today.replace(day=1)


def next_period_start(today: datetime.date) -> datetime.date:
    if settings.METER_PERIOD == "day":
        return today + datetime.timedelta(days=1)
    first = today.replace(day=1)
    return (first + datetime.timedelta(days=32)).replace(day=1)


def today_utc() -> datetime.date:
    return timezone.now().astimezone(datetime.UTC).date()


# Viewers


@dataclass(frozen=True, slots=True)
class MeterKey:
    scope: str
    key: str
    period_start: datetime.date
    allowance: int | None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, what their plan allows, and which meters count their views.

    The first meter is the viewer's own; a guest's second is its network's daily meter.
    """

    kind: Literal["guest", "account"]
    plan: Plan
    free_plan: Plan | None  # what registering would give; None for verified accounts
    meters: tuple[MeterKey, ...]
    resets_on: datetime.date
    guest_id: str | None = None

    @property
    def sections_access(self) -> str:
        return self.plan.access


def account_key(email: str) -> str:
    """A stable, non-reversible key for an account's meter: the same address, the same meter."""
    return salted_hmac(
        "codeahead.metering.account", email.strip().lower(), algorithm="sha256"
    ).hexdigest()


def guest_id(session: SessionBase, *, create: bool) -> str | None:
    """The guest's random id, kept in the session (never the session key, which login rotates)."""
    value = session.get(GUEST_SESSION_KEY)
    if value is None and create:
        value = session[GUEST_SESSION_KEY] = uuid.uuid4().hex
    return value


_network_keys: dict[datetime.date, bytes] = {}


def network_key(day: datetime.date) -> bytes:
    """The day's fingerprint secret, shared by every process through the database (two or three
    queries once a day per process, then cached)."""
    secret = _network_keys.get(day)
    if secret is None:
        NetworkKey.objects.bulk_create(
            [NetworkKey(day=day, secret=secrets.token_bytes(32))], ignore_conflicts=True
        )
        secret = bytes(NetworkKey.objects.get(day=day).secret)
        # Rotation: earlier days' secrets go, and with them any link from a hash to an address.
        NetworkKey.objects.filter(day__lt=day).delete()
        _network_keys.clear()
        _network_keys[day] = secret
    return secret


def network_fingerprint(request: HttpRequest, day: datetime.date) -> str:
    """Keyed hash of the client's IP prefix (/24, /48) and browser family and major version."""
    ip = ipaddress.ip_address(get_adapter(request).get_client_ip(request))
    prefix = ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False)
    agent = parse_user_agent(request.headers.get("User-Agent", ""))
    browser = f"{agent.family}/{agent.major}" if agent else "unknown"
    message = f"{prefix.network_address}|{browser}".encode()
    return hmac.new(network_key(day), message, hashlib.sha256).hexdigest()


def _plans() -> tuple[Plan, Plan]:
    plans = {plan.slug: plan for plan in Plan.objects.filter(slug__in=[Plan.GUEST, Plan.FREE])}
    return plans[Plan.GUEST], plans[Plan.FREE]


def _account_viewer(user: User, today: datetime.date) -> Viewer:
    """Verified accounts (and staff) get their plan; an unverified one counts as a guest."""
    if user.is_staff or EmailAddress.objects.filter(user=user, verified=True).exists():
        plan, free = user.current_plan(today), None
    else:
        plan, free = _plans()
    meter = MeterKey("account", account_key(user.email), period_start(today), plan.views_per_period)
    return Viewer("account", plan, free, (meter,), next_period_start(today))


def viewer_for(request: HttpRequest, *, create_guest: bool = False) -> Viewer:
    """Describe the request's viewer. `create_guest` gives a new guest an id in its session."""
    today = today_utc()
    user = request.user
    if user.is_authenticated:
        assert isinstance(user, User)
        return _account_viewer(user, today)
    guest_plan, free_plan = _plans()
    guest = guest_id(request.session, create=create_guest)
    meters = (
        MeterKey("guest", guest or "", period_start(today), guest_plan.views_per_period),
        MeterKey(
            "network", network_fingerprint(request, today), today, settings.METER_NETWORK_DAILY
        ),
    )
    return Viewer("guest", guest_plan, free_plan, meters, next_period_start(today), guest)


def logout_keeping_guest(request: HttpRequest, logout: Callable[[HttpRequest], None]) -> None:
    """Log out without minting a fresh guest: the session's guest id survives the flush."""
    guest = request.session.get(GUEST_SESSION_KEY)
    logout(request)
    if guest is not None:
        request.session[GUEST_SESSION_KEY] = guest


# Opening a code page


@dataclass(frozen=True, slots=True)
class MeterState:
    """The meter's answer for one code page."""

    unlocked: bool
    remaining: int | None  # None: unlimited
    newly_viewed: bool = False


class _OutOfViews(Exception):
    """Raised inside the recording transaction to undo a partial charge."""


def _remaining(rows: Mapping[str, Meter], viewer: Viewer) -> int | None:
    left = [
        key.allowance - (rows[key.scope].used if key.scope in rows else 0)
        for key in viewer.meters
        if key.allowance is not None
    ]
    return max(0, min(left)) if left else None


def meter_open(*, viewer: Viewer, code: Code, charge: bool) -> MeterState:
    """Whether `viewer` may see `code`'s page, recording a view when `charge` allows it.

    One query when the code was already opened or no views are left; four when a view is
    recorded (meters upserted, view rows inserted, meters incremented, all in one transaction).
    """
    lookup = Q()
    for key in viewer.meters:
        lookup |= Q(scope=key.scope, key=key.key, period_start=key.period_start)
    seen = Exists(MeterView.objects.filter(meter=OuterRef("pk"), code=code))
    rows = {meter.scope: meter for meter in Meter.objects.filter(lookup).annotate(seen=seen)}
    own = rows.get(viewer.meters[0].scope)
    if own is not None and own.seen:  # type: ignore[attr-defined]
        return MeterState(unlocked=True, remaining=_remaining(rows, viewer))
    remaining = _remaining(rows, viewer)
    if not charge or remaining == 0 or (viewer.kind == "guest" and viewer.guest_id is None):
        return MeterState(unlocked=False, remaining=remaining)
    try:
        _record_view(viewer, code)
    except _OutOfViews:
        return MeterState(unlocked=False, remaining=0)
    return MeterState(
        unlocked=True,
        remaining=None if remaining is None else remaining - 1,
        newly_viewed=True,
    )


def _record_view(viewer: Viewer, code: Code) -> None:
    """Charge every meter of the viewer for `code`, or none of them (raises _OutOfViews)."""
    now = timezone.now()
    with transaction.atomic():
        meters = Meter.objects.bulk_create(
            [
                Meter(scope=k.scope, key=k.key, period_start=k.period_start,
                      allowance=k.allowance, touched_at=now)
                for k in viewer.meters
            ],
            update_conflicts=True,
            unique_fields=["scope", "key", "period_start"],
            update_fields=["touched_at"],
        )  # fmt: skip
        allowances = {
            meter.pk: key.allowance for meter, key in zip(meters, viewer.meters, strict=True)
        }
        with connection.cursor() as cursor:
            # New view rows only: a meter that already saw this code (a network that a
            # colleague's browser used for it today) is not charged again.
            cursor.execute(
                "INSERT INTO metering_meterview (meter_id, code_id, viewed_at) "
                "SELECT unnest(%s::bigint[]), %s, %s "
                "ON CONFLICT (meter_id, code_id) DO NOTHING RETURNING meter_id",
                [list(allowances), code.pk, now],
            )
            charged = [row[0] for row in cursor.fetchall()]
            if not charged:
                return  # a concurrent request of the same viewer recorded it first
            # The increment re-checks the allowance under the row lock: of N parallel requests
            # with one view left, exactly one passes.
            cursor.execute(
                "UPDATE metering_meter m SET used = m.used + 1, allowance = t.allowance "
                "FROM unnest(%s::bigint[], %s::integer[]) AS t(id, allowance) "
                "WHERE m.id = t.id AND (t.allowance IS NULL OR m.used < t.allowance) "
                "RETURNING m.id",
                [charged, [allowances[pk] for pk in charged]],
            )
            if cursor.rowcount != len(charged):
                raise _OutOfViews


# Signing in and account pages


def meter_carry_guest_views(*, user: User, session: SessionBase) -> int:
    """Count the session guest's views of this period against `user`'s account, oldest first,
    as far as the account's allowance goes. Returns how many codes were carried over."""
    guest = session.get(GUEST_SESSION_KEY)
    if guest is None:
        return 0
    today = today_utc()
    start = period_start(today)
    codes = list(
        MeterView.objects.filter(
            meter__scope=Meter.Scope.GUEST, meter__key=guest, meter__period_start=start
        )
        .order_by("viewed_at")
        .values_list("code_id", flat=True)
    )
    if not codes:
        return 0
    viewer = _account_viewer(user, today)
    carried = 0
    by_id = Code.objects.in_bulk(codes)
    for code_id in codes:
        state = meter_open(viewer=viewer, code=by_id[code_id], charge=True)
        carried += state.newly_viewed
        if not state.unlocked:
            break
    return carried


@dataclass(frozen=True, slots=True)
class AccountUsage:
    used: int
    remaining: int | None
    allowance: int | None
    resets_on: datetime.date
    viewed: list[MeterView]


def account_usage(*, user: User) -> AccountUsage:
    """The account page's figures: views used and left, reset date, codes viewed (2 queries)."""
    today = today_utc()
    meter = Meter.objects.filter(
        scope=Meter.Scope.ACCOUNT, key=account_key(user.email), period_start=period_start(today)
    ).first()
    plan = user.current_plan(today)
    allowance = plan.views_per_period
    used = meter.used if meter else 0
    viewed = (
        list(meter.views.select_related("code__code_set").order_by("-viewed_at")) if meter else []
    )
    return AccountUsage(
        used=used,
        remaining=None if allowance is None else max(0, allowance - used),
        allowance=allowance,
        resets_on=next_period_start(today),
        viewed=viewed,
    )
