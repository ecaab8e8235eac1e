from django.db import transaction

from accounts.models import User


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove the account and everything personal hanging from it (email addresses, sessions,
    admin log entries) in one transaction. Its meter key stays behind under a keyed hash of the
    address (metering.signals), so registering the address again restores no views."""
    user.delete()
