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

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, IntegrityError, router
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.models import Session


class SessionStore(DatabaseSessionStore):
    account: Any = None  # the signed-in user, loaded with the session

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def _get_session_from_db(self) -> Session | None:
        verified = EmailAddress.objects.filter(user_id=OuterRef("user_id"), verified=True)
        session = (
            Session.objects.select_related("user__plan")
            .annotate(user_verified=Exists(verified))
            .filter(session_key=self.session_key, expire_date__gt=timezone.now())
            .first()
        )
        if session is None:
            self._session_key = None
            return None
        if session.user is not None:
            session.user.has_verified_email = session.user_verified  # type: ignore[attr-defined]
        self.account = session.user
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
