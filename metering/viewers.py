"""Who is looking: a guest or an account, which plan they are on, and which meters count them.

- A guest is a random id in a signed cookie of its own (so a guest's pages need no session row,
  and signing in or out leaves it alone; an id kept in the session by an earlier release is
  still read, and moved to the cookie). Guests also
  draw on two daily allowances of their network, so clearing cookies mints nothing: one per
  network fingerprint (a keyed hash of the IP prefix and the browser family and major version,
  `METER_NETWORK_DAILY`), so a department behind one address is not shut out after one view; and
  a larger one per IP prefix whatever the browser (`METER_NETWORK_DAILY_CAP`), because the browser
  is the client's word and rotating User-Agent strings must mint nothing either. The key of both
  hashes is random and replaced every day; no address is stored.
- An account is metered under its meter key, given once when the account is created and kept
  across email changes. A deleted account leaves its key behind under a keyed hash of its last
  address, so registering that address again finds the views already used.
- An account whose address is not verified yet gets the guest allowance; staff are unmetered.
"""

import datetime
import hashlib
import hmac
import ipaddress
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from ua_parser import parse_user_agent

from metering.models import Meter, NetworkKey, Plan, RetiredAccountKey
from metering.plans import (
    PlanBook,
    PlanHolder,
    next_period_start,
    period_start,
    plan_book,
    plan_for,
    today_utc,
)

GUEST_COOKIE = "codeahead_guest"
GUEST_COOKIE_SALT = "codeahead.metering.guest"
GUEST_COOKIE_SECONDS = 400 * 86400  # as long as meters are kept (METER_RETENTION_DAYS)
GUEST_SESSION_KEY = "codeahead_guest_id"  # where earlier releases kept it
GUEST_ID = re.compile(r"^[0-9a-f]{32}$")


class MeteredAccount(PlanHolder, Protocol):
    """What metering needs of an account (accounts.User has it)."""

    @property
    def pk(self) -> Any: ...
    @property
    def meter_key(self) -> str: ...


@dataclass(frozen=True, slots=True)
class MeterKey:
    """One meter a view is counted on. The allowance is that of the plan with slug `plan` (read by
    the database when it counts, so an editor's change applies at once) or, for network meters,
    the setting `limit`."""

    scope: str
    key: str
    period_start: datetime.date
    plan: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, what their plan allows, and which meters count their views (their own
    first; a guest's network meters after it)."""

    kind: Literal["guest", "account"]
    plan: Plan
    meters: tuple[MeterKey, ...]
    resets_on: datetime.date
    book: PlanBook
    guest_id: str | None = None

    @property
    def can_register(self) -> bool:
        """Registering would give more: the viewer is a guest (or not verified yet)."""
        return self.plan.slug == Plan.GUEST

    @property
    def extra_views_on_free(self) -> int:
        """How many more views a free account gives than this viewer has (the banner's promise)."""
        if not self.can_register:
            return 0
        return max(0, (self.book.free.views_per_period or 0) - (self.plan.views_per_period or 0))


# Account keys


def address_hash(email: str) -> str:
    """A stable, non-reversible key for an address: the same address, the same hash."""
    return salted_hmac(
        "codeahead.metering.account", email.strip().lower(), algorithm="sha256"
    ).hexdigest()


def meter_key_for_new_account(*, email: str) -> str:
    """The meter key of an account being created with `email`.

    A deleted account's key if this was its last address; else the address's hash; a random key
    only when a live account already holds that (it registered with this address and moved on),
    so that two accounts never share a meter.
    """
    hashed = address_hash(email)
    retired = RetiredAccountKey.objects.filter(address_hash=hashed).values_list(
        "meter_key", flat=True
    )
    candidates = [*retired, hashed]
    held = set(
        apps.get_model(settings.AUTH_USER_MODEL)
        .objects.filter(meter_key__in=candidates)
        .values_list("meter_key", flat=True)
    )
    return next((key for key in candidates if key not in held), secrets.token_hex(32))


def meter_key_retire(*, email: str, meter_key: str) -> None:
    """Keep a deleting account's meter key under its last address (see the module docstring)."""
    RetiredAccountKey.objects.update_or_create(
        address_hash=address_hash(email),
        defaults={"meter_key": meter_key, "retired_on": today_utc()},
    )


def account_is_verified(account: MeteredAccount) -> bool:
    """Staff, or an account with a verified address. Sessions load the answer with the user
    (accounts.sessions); other callers pay one query."""
    if account.is_staff:
        return True
    known = getattr(account, "has_verified_email", None)
    if known is not None:
        return bool(known)
    return EmailAddress.objects.filter(user_id=account.pk, verified=True).exists()


# Guests and their networks


def guest_id(request: HttpRequest, *, create: bool) -> str | None:
    """The guest's random id, from its signed cookie; `create` gives a new guest one, which
    GuestCookieMiddleware sets on the response. A forged or altered cookie counts as none."""
    known = getattr(request, "codeahead_guest", None)
    if known is not None:
        return str(known)
    value = request.get_signed_cookie(GUEST_COOKIE, default=None, salt=GUEST_COOKIE_SALT)
    if value is None or not GUEST_ID.match(value):
        value = None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:  # an id an earlier release kept
            value = request.session.get(GUEST_SESSION_KEY)
        if value is None and create:
            value = uuid.uuid4().hex
        if value is not None:
            request.codeahead_guest_new = value  # type: ignore[attr-defined]
    if value is not None:
        request.codeahead_guest = value  # type: ignore[attr-defined]
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


@dataclass(frozen=True, slots=True)
class Network:
    """Keyed hashes of where a guest's request comes from: the IP prefix with the browser, and
    the IP prefix alone."""

    with_browser: str
    prefix: str


def network_of(request: HttpRequest, day: datetime.date) -> Network:
    """The client's IP prefix (/24, /48) with and without its browser family and major version."""
    ip = ipaddress.ip_address(get_adapter(request).get_client_ip(request))
    prefix = ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False)
    agent = parse_user_agent(request.headers.get("User-Agent", ""))
    browser = f"{agent.family}/{agent.major}" if agent else "unknown"
    secret = network_key(day)

    def keyed(message: str) -> str:
        return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()

    return Network(
        with_browser=keyed(f"{prefix.network_address}|{browser}"),
        prefix=keyed(f"{prefix.network_address}|*"),
    )


# Viewers


def account_viewer(account: MeteredAccount, *, today: datetime.date | None = None) -> Viewer:
    """Verified accounts (and staff) get their plan; an unverified one the guest allowance."""
    today = today or today_utc()
    book = plan_book()
    plan = plan_for(account, today=today, book=book) if account_is_verified(account) else book.guest
    meter = MeterKey(Meter.Scope.ACCOUNT, account.meter_key, period_start(today), plan=plan.slug)
    return Viewer("account", plan, (meter,), next_period_start(today), book)


def viewer_for(request: HttpRequest, *, create_guest: bool = False) -> Viewer:
    """Describe the request's viewer. `create_guest` gives a new guest an id in its session."""
    user = request.user
    if user.is_authenticated:
        return account_viewer(user)  # type: ignore[arg-type]
    today = today_utc()
    book = plan_book()
    guest = guest_id(request, create=create_guest)
    network = network_of(request, today)
    meters = (
        MeterKey(Meter.Scope.GUEST, guest or "", period_start(today), plan=Plan.GUEST),
        MeterKey(
            Meter.Scope.NETWORK, network.with_browser, today, limit=settings.METER_NETWORK_DAILY
        ),
        MeterKey(
            Meter.Scope.NETWORK_CAP, network.prefix, today, limit=settings.METER_NETWORK_DAILY_CAP
        ),
    )
    return Viewer("guest", book.guest, meters, next_period_start(today), book, guest)


def logout_keeping_guest(request: HttpRequest, logout: Callable[[HttpRequest], None]) -> None:
    """Log out without minting a fresh guest: the guest's cookie is not the session's, so it
    survives the flush (an id still kept in the session moves to the cookie first)."""
    guest_id(request, create=False)
    logout(request)
