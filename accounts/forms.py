from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import User


class SignupForm(AllauthSignupForm):
    account_already_exists: bool

    """allauth's signup form with its honeypot hidden by our stylesheet, not an inline style.

    The content security policy forbids inline styles, and a screen reader user is told to leave
    the field empty.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        honeypot = self.fields.get(settings.ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD)
        if honeypot is not None:
            honeypot.label = "Leave this field empty"
            honeypot.widget.attrs = {"tabindex": "-1", "autocomplete": "off", "class": "hp-input"}

    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        """allauth's, for parallel signups with one address: the form checked the address
        before another request created the account, so the database's unique constraint
        refuses this one. Answer it as any signup with a known address is answered (the
        "verify your email" page, and a note to the owner), not with an error."""
        if not self.account_already_exists:
            try:
                with transaction.atomic():
                    return super().try_save(request)
            except IntegrityError:
                if not User.objects.filter(email__iexact=self.cleaned_data.get("email")).exists():
                    raise
                self.account_already_exists = True
        return super().try_save(request)


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my account, my email address and my history are deleted for good.",
    )


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "plan")


class UserAdminChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
