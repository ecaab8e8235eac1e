"""CasePilot's question form: the patient-identifier guard runs first, so a refused question is
neither stored nor sent anywhere; the code context is checked against the database."""

import re

from django import forms

from codes.models import Code, compact_identifier
from common.identifiers import reject_patient_identifiers

MAX_QUESTION = 1000
CODE_CONTEXT = re.compile(r"^([a-z0-9]{2,12})[/:]([A-Za-z0-9.]{3,10})$")


class AskForm(forms.Form):
    question = forms.CharField(
        label="Your question",
        max_length=MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[reject_patient_identifiers],
        help_text="A coding question, e.g. “Can modifier 25 go on 99213?”. No patient names, "
        "dates of birth, record numbers or contact details.",
    )
    code = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)

    def clean_question(self) -> str:
        text = " ".join(self.cleaned_data["question"].split())
        if len(text) < 3:
            raise forms.ValidationError("Please write a question.")
        return text

    def clean_code(self) -> Code | None:
        """`<set>/<identifier>` (cpt/0439T) from a code page; empty for an open question."""
        raw = (self.cleaned_data.get("code") or "").strip()
        if not raw:
            return None
        code = code_context(raw)
        if code is None:
            raise forms.ValidationError(f"No code “{raw[:24]}” to ask about.")
        return code


class VoteForm(forms.Form):
    vote = forms.ChoiceField(choices=[("helpful", "Helpful"), ("not_helpful", "Not helpful")])


def code_context(raw: str) -> Code | None:
    """The code `<set>/<identifier>` (or `<set>:<identifier>`) names, if it exists."""
    match = CODE_CONTEXT.match(raw.strip())
    compact = compact_identifier(match.group(2)) if match else None
    if match is None or compact is None:
        return None
    return (
        Code.objects.by_compact(compact)
        .filter(code_set__slug=match.group(1).lower())
        .select_related("code_set")
        .first()
    )
