from django.db import transaction

from accounts.models import User


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove the account and everything personal hanging from it (email addresses, sessions'
    link to it, admin log entries) in one transaction."""
    user.delete()
