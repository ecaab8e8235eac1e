"""Sessions in PostgreSQL that carry their account, for a signed-in page in fewer round trips.

Django's database sessions with three changes, each at a documented extension point:

- Loading a session also loads its user (with the plan, and whether an address of theirs is
  verified) in the same query; the authentication backend (accounts.backends) takes that user
  instead of querying again. Django's own checks still run: the backend must be one of
  AUTHENTICATION_BACKENDS and the session's auth hash must match the user's password hash.
- A new session is written with one INSERT: no "does this key exist?" query first (a key is 32
  characters from a 36-letter alphabet, about 165 random bits; a collision still fails the
  INSERT on the primary key, and Django then tries another key), and no transaction around a
  single statement.
- Saving an existing one is one UPDATE, likewise.
"""

import functools
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, IntegrityError, connection, router
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.models import Session, User
from metering.models import Plan


@functools.cache
def _session_query() -> tuple[str, list[str], list[str]]:
    """The SQL of SessionStore._get_session_from_db, and the field names of the user and plan
    columns in it: fixed SQL, because the ORM spends about 1 ms of Python building this join for
    every signed-in page, three times what PostgreSQL spends answering it (make bench)."""
    user_fields = list(User._meta.concrete_fields)
    plan_fields = list(Plan._meta.concrete_fields)
    columns = ", ".join(
        [f'u."{f.column}"' for f in user_fields] + [f'p."{f.column}"' for f in plan_fields]
    )
    sql = f"""
        SELECT s.session_data, s.expire_date, s.user_id, {columns},
               EXISTS (
                   SELECT 1 FROM {EmailAddress._meta.db_table} e
                   WHERE e.user_id = s.user_id AND e.verified
               )
        FROM {Session._meta.db_table} s
        LEFT JOIN {User._meta.db_table} u ON u.id = s.user_id
        LEFT JOIN {Plan._meta.db_table} p ON p.id = u.plan_id
        WHERE s.session_key = %s AND s.expire_date > %s
    """  # noqa: S608 - names come from the models; values are parameters
    return sql, [f.attname for f in user_fields], [f.attname for f in plan_fields]


class SessionStore(DatabaseSessionStore):
    account: Any = None  # the signed-in user, loaded with the session

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def _get_session_from_db(self) -> Session | None:
        sql, user_names, plan_names = _session_query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        session_data, expire_date, user_id, *rest = row
        session = Session(
            session_key=str(self.session_key),
            session_data=session_data,
            expire_date=expire_date,
            user_id=user_id,
        )
        self.account = None
        if user_id is not None:
            user = User.from_db(connection.alias, user_names, rest[: len(user_names)])
            plan_values = rest[len(user_names) : len(user_names) + len(plan_names)]
            if plan_values[0] is not None:
                user.plan = Plan.from_db(connection.alias, plan_names, plan_values)
            user.has_verified_email = rest[-1]  # type: ignore[attr-defined]
            self.account = user
        return session

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        user_id = data.get(SESSION_KEY)
        return Session(
            session_key=self._get_or_create_session_key(),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
            user_id=Session.user.field.target_field.to_python(user_id) if user_id else None,
        )

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]
        session = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=session)
        try:
            session.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        return None
