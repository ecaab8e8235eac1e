"""Signed reply addresses: reply+<question>.<recipient>.<signature>@INBOUND_REPLY_DOMAIN.

Each mail of a thread carries one for its thread and its recipient, so a reply by email lands in
the right thread under the right author. The signature is a keyed hash (the site's SECRET_KEY) of
both numbers, in lower-case hex because mail systems may change the case of an address; nobody
can make a valid address for another thread or another person, and the numbers alone open
nothing.
"""

import re

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "caseconsultant.reply-address"
_LOCAL = re.compile(r"reply\+(\d{1,18})\.(\d{1,18})\.([0-9a-f]{24})", re.IGNORECASE)


def _signature(question_id: int, user_id: int) -> str:
    value = f"{question_id}.{user_id}"
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:24]


def reply_address(*, question_id: int, user_id: int) -> str | None:
    """The address `user_id` replies to for `question_id`; None when inbound mail is off."""
    domain = settings.INBOUND_REPLY_DOMAIN
    if not domain:
        return None
    return f"reply+{question_id}.{user_id}.{_signature(question_id, user_id)}@{domain}"


def parse_reply_address(address: str) -> tuple[int, int] | None:
    """(question id, user id) of a genuine reply address of ours, else None."""
    local, _, domain = address.strip().rpartition("@")
    expected = settings.INBOUND_REPLY_DOMAIN
    if not expected or domain.lower() != expected.lower():
        return None
    match = _LOCAL.fullmatch(local)
    if match is None:
        return None
    question_id, user_id = int(match.group(1)), int(match.group(2))
    if not constant_time_compare(match.group(3).lower(), _signature(question_id, user_id)):
        return None
    return question_id, user_id
