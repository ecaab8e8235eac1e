"""Replies by email through Anymail's Mailgun inbound webhook, with Mailgun's payload as its
route action forward() posts it (multipart form, "fully parsed") and signed as Mailgun signs it:
HMAC-SHA256 of timestamp + token with the webhook signing key."""

import datetime
import hashlib
import hmac
import json
import logging
import secrets
import time

import pytest
from django.core import mail
from django.utils import timezone

from caseconsultant import services
from caseconsultant.addresses import reply_address
from caseconsultant.models import InboundMail, Message, Question

pytestmark = pytest.mark.django_db

URL = "/anymail/mailgun/inbound/"
SIGNING_KEY = "key-test-signing-0123456789abcdef"
DOMAIN = "reply.codeahead.example"
QUOTED = "On Tue, Mar 3, 2026 at 9:30 AM CodeAhead <no-reply@codeahead.example> wrote:\n> earlier"


@pytest.fixture(autouse=True)
def inbound_settings(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": None}
    settings.INBOUND_REPLY_DOMAIN = DOMAIN


def signature(key: str = SIGNING_KEY, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(timestamp or int(time.time()))
    token = secrets.token_hex(25)  # Mailgun sends a 50-character random token
    digest = hmac.new(key.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": stamp, "token": token, "signature": digest}


def payload(*, sender: str, to: str, text: str, stripped: str | None = None, **extra) -> dict:
    headers = [
        ["Received", "by mxa.mailgun.org with SMTP id abc"],
        ["From", f"Pat Coder <{sender}>"],
        ["To", to],
        ["Subject", "Re: [CC-2026-000001] Answer to your question"],
        ["Date", "Tue, 03 Mar 2026 10:00:00 +0000"],
        ["Message-Id", f"<{secrets.token_hex(8)}@clinic.example>"],
        ["Mime-Version", "1.0"],
        ["Content-Type", 'multipart/alternative; boundary="b1"'],
    ]
    data = {
        "recipient": to,
        "sender": sender,
        "from": f"Pat Coder <{sender}>",
        "subject": "Re: [CC-2026-000001] Answer to your question",
        "body-plain": text,
        "body-html": f"<p>{text}</p>",
        "message-headers": json.dumps(headers),
        "attachment-count": "0",
        "content-id-map": "{}",
        **signature(),
    }
    if stripped is not None:
        data["stripped-text"] = stripped
        data["stripped-signature"] = ""
    return data | extra


def address_for(question: Question, user) -> str:
    address = reply_address(question_id=question.pk, user_id=user.pk)
    assert address is not None
    return address


def test_the_askers_reply_lands_in_the_thread_without_the_quoted_history(client, question, asker):
    text = f"Thanks, and what about 99214?\n\n{QUOTED}"
    response = client.post(
        URL, payload(sender=asker.email, to=address_for(question, asker), text=text)
    )

    assert response.status_code == 200
    follow_up = Message.objects.get(kind="follow_up")
    assert follow_up.body_markdown == "Thanks, and what about 99214?"
    assert (follow_up.via, follow_up.author_id) == ("email", asker.pk)
    assert InboundMail.objects.get().outcome == "added"


def test_mailguns_stripped_text_is_used_when_given(client, question, asker):
    client.post(
        URL,
        payload(
            sender=asker.email.upper(),  # addresses compare without case
            to=address_for(question, asker),
            text="Short answer please\n> quoted\n-- \nPat",
            stripped="Short answer please",
        ),
    )

    assert Message.objects.get(kind="follow_up").body_markdown == "Short answer please"


def test_a_consultants_reply_by_email_answers_the_member(client, question, consultant, asker):
    mail.outbox.clear()

    client.post(
        URL,
        payload(
            sender=consultant.email,
            to=address_for(question, consultant),
            text=f"Yes, append modifier 25.\n\n{QUOTED}",
        ),
    )

    question.refresh_from_db()
    assert question.messages.get(kind="reply").body_markdown == "Yes, append modifier 25."
    assert question.status == "answered"
    assert [m.to for m in mail.outbox] == [[asker.email]]


def test_a_bad_signature_is_refused_with_400_and_logged(client, question, asker, caplog):
    data = payload(sender=asker.email, to=address_for(question, asker), text="Forged")
    data |= signature(key="not-our-key")

    with caplog.at_level(logging.WARNING):
        response = client.post(URL, data)

    assert response.status_code == 400
    assert Message.objects.count() == 1 and InboundMail.objects.count() == 0
    assert any("signature" in record.getMessage().lower() for record in caplog.records)


def test_mail_from_anyone_else_is_refused_and_logged(client, question, asker, caplog):
    with caplog.at_level(logging.WARNING, logger="caseconsultant.inbound"):
        response = client.post(
            URL,
            payload(sender="mallory@evil.example", to=address_for(question, asker), text="Hi"),
        )

    assert response.status_code == 200  # accepted from Mailgun, so it is not sent again
    assert Message.objects.count() == 1
    refused = InboundMail.objects.get()
    assert (refused.outcome, refused.sender) == ("refused", "mallory@evil.example")
    assert "not the account this address was made for" in refused.reason
    assert "refused" in caplog.text


def test_an_address_for_someone_else_or_forged_is_refused(client, question, asker, stranger):
    genuine = address_for(question, asker)
    forged = genuine.replace(f".{asker.pk}.", f".{stranger.pk}.")
    for to in (forged, f"reply+{question.pk}.{stranger.pk}.{'0' * 24}@{DOMAIN}", "help@example"):
        client.post(URL, payload(sender=stranger.email, to=to, text="Let me in"))

    assert Message.objects.count() == 1
    assert set(InboundMail.objects.values_list("reason", flat=True)) == {
        "not sent to a signed reply address"
    }
    assert InboundMail.objects.count() == 3


def test_a_stranger_with_their_own_address_for_another_thread_is_refused(
    client, question, stranger
):
    """A genuine address made for the stranger (as for a thread they were once on) does not let
    them into a thread they do not take part in."""
    client.post(URL, payload(sender=stranger.email, to=address_for(question, stranger), text="Hi"))

    assert Message.objects.count() == 1
    assert InboundMail.objects.get().reason == "the account no longer takes part in this thread"


def test_a_thread_closed_more_than_30_days_ago_takes_no_replies(client, question, asker):
    services.question_close(question=question, now=timezone.now() - datetime.timedelta(days=31))
    client.post(URL, payload(sender=asker.email, to=address_for(question, asker), text="Again"))

    question.refresh_from_db()
    assert question.status == "closed"
    assert InboundMail.objects.get().reason == "the thread was closed more than 30 days ago"


def test_a_thread_closed_recently_is_reopened_by_the_askers_reply(client, question, asker):
    services.question_close(question=question, now=timezone.now() - datetime.timedelta(days=29))
    client.post(URL, payload(sender=asker.email, to=address_for(question, asker), text="Again"))

    question.refresh_from_db()
    assert question.status == "open"


def test_a_delivery_sent_twice_is_added_once(client, question, asker):
    data = payload(sender=asker.email, to=address_for(question, asker), text="Once")

    client.post(URL, data)
    client.post(URL, data)

    assert Message.objects.filter(kind="follow_up").count() == 1


def test_identifiers_by_email_are_refused_and_the_sender_is_told(client, question, asker):
    mail.outbox.clear()

    client.post(
        URL,
        payload(sender=asker.email, to=address_for(question, asker), text="MRN 7781234 again"),
    )

    assert Message.objects.count() == 1
    assert InboundMail.objects.get().reason == "patient identifiers"
    [notice] = mail.outbox
    assert notice.to == [asker.email] and "was not added" in notice.subject
    assert "7781234" not in notice.body


def test_the_webhook_is_off_without_a_signing_key(client, settings, question, asker):
    settings.ANYMAIL = {}

    response = client.post(
        URL, payload(sender=asker.email, to=address_for(question, asker), text="Hi")
    )

    assert response.status_code == 404
