"""CaseConsultant's forms. Every text a member or consultant writes passes the
patient-identifier guard; codes are checked against the database."""

import re
from typing import Any, ClassVar

from django import forms
from django.contrib.auth import get_user_model

from caseconsultant.models import Question
from codes.models import Code, CodeSet, compact_identifier
from common.identifiers import reject_patient_identifiers

MAX_CODES = 10
BODY_HELP = "Markdown: paragraphs, lists, **bold**. No raw HTML."


class CodeReferences(forms.CharField):
    """Codes of any set, separated by commas or spaces: `99213, E11.9` or, where an identifier
    exists in more than one set, `hcpcs/A0428`. Each must be in the database."""

    def clean(self, value: Any) -> list[Code]:  # type: ignore[override]
        text = super().clean(value)
        tokens = list(dict.fromkeys(t for t in re.split(r"[\s,;]+", text or "") if t))
        if len(tokens) > MAX_CODES:
            raise forms.ValidationError(f"At most {MAX_CODES} codes, please.")
        wanted: dict[str, tuple[str | None, str]] = {}
        errors = []
        for token in tokens:
            set_slug, _, raw = token.rpartition("/")
            compact = compact_identifier(raw)
            if compact is None:
                errors.append(f"“{token}” is not a code.")
            else:
                wanted[token] = (set_slug.lower() or None, compact)
        found: dict[str, list[Code]] = {}
        if wanted:
            for code in Code.objects.by_compacts([compact for _, compact in wanted.values()]):
                found.setdefault(code.identifier.replace(".", ""), []).append(code)
        codes = []
        for token, (set_slug, compact) in wanted.items():
            matches = [
                code for code in found.get(compact, [])
                if set_slug is None or code.code_set.slug == set_slug
            ]  # fmt: skip
            if not matches:
                errors.append(f"No code “{token}” in any code set.")
            elif len(matches) > 1:
                spelled = " or ".join(f"{c.code_set.slug}/{c.identifier}" for c in matches)
                errors.append(f"“{token}” is in more than one code set: write {spelled}.")
            else:
                codes.append(matches[0])
        if errors:
            raise forms.ValidationError(errors)
        return codes


class AskForm(forms.Form):
    subject = forms.CharField(
        max_length=150,
        validators=[reject_patient_identifiers],
        help_text="One line, e.g. “Modifier 25 with a same-day minor procedure”.",
    )
    question = forms.CharField(
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        validators=[reject_patient_identifiers],
        help_text="What happened, what you coded and what you are unsure of. Describe the "
        "patient by age and sex only: no names, dates of birth, record numbers or contact "
        "details. " + BODY_HELP,
    )
    codes = CodeReferences(
        label="Related codes",
        required=False,
        max_length=300,
        help_text="Any code set, separated by commas: 99213, E11.9, J0135.",
    )
    setting = forms.ChoiceField(choices=Question.Setting.choices, widget=forms.RadioSelect)
    payer_type = forms.ChoiceField(
        label="Payer type", choices=[("", "Choose the payer"), *Question.Payer.choices]
    )


class FollowUpForm(forms.Form):
    body = forms.CharField(
        label="Your follow-up",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[reject_patient_identifiers],
        help_text="It reopens your question. " + BODY_HELP,
    )


class ReplyForm(forms.Form):
    KINDS = (("reply", "Answer the member"), ("note", "Internal note"))

    body = forms.CharField(
        label="Your answer or note",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[reject_patient_identifiers],
        help_text=BODY_HELP + " An internal note is seen by consultants only.",
    )
    kind = forms.ChoiceField(choices=KINDS, widget=forms.HiddenInput, initial="reply")


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How helpful was the answer?",
        coerce=int,
        choices=[(5, "5 – very helpful"), (4, "4"), (3, "3"), (2, "2"), (1, "1 – not helpful")],
        widget=forms.RadioSelect,
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody",
        label="Assigned to",
    )

    def __init__(self, *args: Any, consultants: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = consultants  # type: ignore[attr-defined]


class DeskFilterForm(forms.Form):
    STATUS: ClassVar = [
        ("waiting", "Waiting for us"),
        ("answered", "Answered"),
        ("closed", "Closed"),
        ("all", "All"),
    ]
    DUE: ClassVar = [
        ("", "Any time"),
        ("overdue", "Overdue"),
        ("today", "Due today"),
        ("week", "Due in 7 days"),
    ]

    status = forms.ChoiceField(choices=STATUS, required=False)
    assignee = forms.ChoiceField(required=False, label="Assigned to")
    due = forms.ChoiceField(choices=DUE, required=False)
    code_set = forms.ChoiceField(required=False, label="Code set")

    def __init__(self, *args: Any, consultants: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            ("me", "Me"),
            ("nobody", "Nobody"),
            *[(str(user.pk), user.email) for user in consultants],
        ]
        self.fields["code_set"].choices = [  # type: ignore[attr-defined]
            ("", "Any"),
            *CodeSet.objects.order_by("position", "name").values_list("slug", "name"),
        ]


class PublishForm(forms.Form):
    title = forms.CharField(max_length=120, validators=[reject_patient_identifiers])
    body = forms.CharField(
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        validators=[reject_patient_identifiers],
        help_text="Edit it into a general question and answer: nothing that identifies the "
        "member, their organisation or a patient. " + BODY_HELP,
    )
    codes = forms.ModelMultipleChoiceField(
        queryset=Code.objects.none(), widget=forms.CheckboxSelectMultiple, label="Publish on"
    )

    def __init__(self, *args: Any, codes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["codes"].queryset = codes  # type: ignore[attr-defined]
