from django import forms

from codes.models import Code, CodeSet
from codes.search import MAX_QUERY_LENGTH


class SearchForm(forms.Form):
    """The search page's inputs; anything odd becomes a message, never an error page."""

    q = forms.CharField(required=False, max_length=5000, strip=False)
    set = forms.ModelChoiceField(
        queryset=CodeSet.objects.order_by("position"),
        to_field_name="slug",
        required=False,
        empty_label="All code sets",
        label="Code set",
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Code.Status.choices], required=False, label="Status"
    )

    def clean_q(self) -> str:
        query: str = self.cleaned_data["q"]
        if len(query) > MAX_QUERY_LENGTH:
            self.add_error(None, f"Searches are limited to {MAX_QUERY_LENGTH} characters; "
                                 "we searched for the beginning of yours.")  # fmt: skip
        return query
