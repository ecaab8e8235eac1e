"""Mail written from a pair of templates that every product shares: the plain text and the HTML
alternative of one message, marked as sent by a program (RFC 3834 Auto-Submitted), so that
mail programs send no out-of-office answers back to it."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def templated_email(
    *,
    template: str,
    context: Mapping[str, Any],
    to: Sequence[str],
    subject: str,
    headers: Mapping[str, str] | None = None,
    reply_to: Sequence[str] | None = None,
) -> EmailMultiAlternatives:
    """The message rendered from `<template>.txt` (its text) and `<template>.html` (its HTML
    alternative) with `context`, e.g. template="careercenter/email/alert". `headers` are added
    to Auto-Submitted: auto-generated (a Message-ID, thread or unsubscribe headers)."""
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", dict(context)),
        to=list(to),
        reply_to=list(reply_to or []),
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    mail.attach_alternative(render_to_string(f"{template}.html", dict(context)), "text/html")
    return mail
