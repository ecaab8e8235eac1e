"""Mail written from a text and an HTML template (common.mail)."""

import pytest

from common.mail import templated_email


@pytest.fixture
def templates(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "app/email/note.txt": "Hello {{ name }}",
                            "app/email/note.html": "<p>Hello {{ name }}</p>",
                        },
                    )
                ]
            },
        }
    ]


def test_the_text_and_html_come_from_the_two_templates(templates):
    mail = templated_email(
        template="app/email/note", context={"name": "Pat"}, to=["pat@example.com"], subject="Hi"
    )

    assert (mail.subject, mail.to, mail.reply_to) == ("Hi", ["pat@example.com"], [])
    assert mail.body == "Hello Pat"
    assert mail.alternatives == [("<p>Hello Pat</p>", "text/html")]
    assert mail.extra_headers == {"Auto-Submitted": "auto-generated"}


def test_headers_and_reply_to_are_added(templates):
    mail = templated_email(
        template="app/email/note",
        context={"name": "Pat"},
        to=["pat@example.com"],
        subject="Hi",
        headers={"Message-ID": "<one@codeahead.example>"},
        reply_to=["reply@codeahead.example"],
    )

    assert mail.reply_to == ["reply@codeahead.example"]
    assert mail.extra_headers == {
        "Auto-Submitted": "auto-generated",
        "Message-ID": "<one@codeahead.example>",
    }
