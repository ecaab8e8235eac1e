"""CareerCenter's forms: the employer profile, a job posting, a job alert."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator, URLValidator

from careercenter.filters import MAX_WORDS_LENGTH
from careercenter.models import (
    US_STATES,
    Credential,
    EmploymentType,
    Job,
    JobAlert,
    JobSetting,
    PayPeriod,
    WorkMode,
)
from careercenter.services import JobData

MARKDOWN_HELP = "Markdown: paragraphs, lists with “-”, **bold**. Raw HTML is removed."
# Above this, an hourly figure is surely meant yearly (and a yearly one is not a coding job).
MAX_HOURLY = Decimal(500)
MAX_YEARLY = Decimal(1_000_000)


class EmployerProfileForm(forms.Form):
    organization = forms.CharField(
        label="Organization name",
        max_length=150,
        help_text="The employer your jobs are posted for, as applicants know it.",
    )
    website = forms.URLField(
        label="Website",
        required=False,
        max_length=200,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Optional: https://www.example.org",
    )


class JobForm(forms.Form):
    title = forms.CharField(
        label="Job title", max_length=120, help_text="For example “Remote Risk Adjustment Coder”."
    )
    description = forms.CharField(
        label="Description",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="What the job is, what you ask for, hours, benefits. " + MARKDOWN_HELP,
    )
    work_mode = forms.ChoiceField(
        label="Work mode", choices=WorkMode.choices, widget=forms.RadioSelect
    )
    city = forms.CharField(
        label="City", max_length=80, required=False, help_text="On-site and hybrid jobs."
    )
    state = forms.ChoiceField(
        label="State",
        choices=[("", "Choose a state"), *US_STATES],
        required=False,
        help_text="On-site and hybrid: where the job is. Remote: the one state applicants must "
        "live in, or leave it empty for anywhere in the United States.",
    )
    employment_type = forms.ChoiceField(
        label="Employment type", choices=[("", "Choose a type"), *EmploymentType.choices]
    )
    setting = forms.ChoiceField(
        label="Setting", choices=[("", "Choose a setting"), *JobSetting.choices]
    )
    credentials = forms.MultipleChoiceField(
        label="Credentials accepted",
        choices=Credential.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every credential you accept; none if none is required.",
    )
    experience_years = forms.IntegerField(
        label="Years of experience",
        min_value=0,
        max_value=50,
        initial=0,
        help_text="0 for an entry-level job.",
    )
    pay_min = forms.DecimalField(
        label="Pay from",
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), "Pay must be more than zero.")],
        help_text="In US dollars.",
    )
    pay_max = forms.DecimalField(
        label="Pay up to",
        max_digits=9,
        decimal_places=2,
        required=False,
        validators=[MinValueValidator(Decimal("0.01"), "Pay must be more than zero.")],
        help_text="Leave empty for a single figure.",
    )
    pay_period = forms.ChoiceField(
        label="Pay period", choices=PayPeriod.choices, widget=forms.RadioSelect
    )
    apply_url = forms.URLField(
        label="Apply link",
        max_length=500,
        required=False,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Your application page, or leave it empty and give an email address.",
    )
    apply_email = forms.EmailField(
        label="Or apply by email",
        required=False,
        help_text="Where applications go when there is no apply link.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        remote = data.get("work_mode") == WorkMode.REMOTE
        if data.get("work_mode") and not remote:
            if not data.get("city"):
                self.add_error(
                    "city", "Give the city of an on-site or hybrid job, or choose Remote."
                )
            if not data.get("state"):
                self.add_error("state", "Give the state of an on-site or hybrid job.")
        if remote:
            data["city"] = ""
        low, high = data.get("pay_min"), data.get("pay_max")
        if low is not None:
            if high is None:
                data["pay_max"] = high = low
            if high < low:
                self.add_error("pay_max", "The top of the range must be at least the bottom.")
            limit = MAX_HOURLY if data.get("pay_period") == PayPeriod.HOUR else MAX_YEARLY
            if data.get("pay_period") and high > limit:
                self.add_error(
                    "pay_max",
                    f"That is more than ${limit:,.0f} {PayPeriod(data['pay_period']).label}.",
                )
        url, email = data.get("apply_url"), data.get("apply_email")
        if url and email:
            self.add_error("apply_email", "Give an apply link or an email address, not both.")
        elif not url and not email and "apply_url" not in self.errors:
            self.add_error("apply_url", "Give an apply link or an email address.")
        return data

    def job_data(self) -> JobData:
        data = self.cleaned_data
        return JobData(
            title=data["title"],
            description_markdown=data["description"],
            work_mode=data["work_mode"],
            city=data["city"],
            state=data["state"],
            employment_type=data["employment_type"],
            setting=data["setting"],
            credentials=list(data["credentials"]),
            experience_years=data["experience_years"],
            pay_min=data["pay_min"],
            pay_max=data["pay_max"],
            pay_period=data["pay_period"],
            apply_url=data["apply_url"],
            apply_email=data["apply_email"],
        )

    @classmethod
    def initial_for(cls, job: Job) -> dict[str, Any]:
        return {
            "title": job.title,
            "description": job.description_markdown,
            "work_mode": job.work_mode,
            "city": job.city,
            "state": job.state,
            "employment_type": job.employment_type,
            "setting": job.setting,
            "credentials": list(job.credentials),
            "experience_years": job.experience_years,
            "pay_min": job.pay_min,
            "pay_max": None if job.pay_max == job.pay_min else job.pay_max,
            "pay_period": job.pay_period,
            "apply_url": job.apply_url,
            "apply_email": job.apply_email,
        }


class AlertForm(forms.Form):
    """Keep the list's current filters (`search`, the list's query string) as an alert."""

    search = forms.CharField(
        required=False, max_length=MAX_WORDS_LENGTH * 4, widget=forms.HiddenInput
    )
    frequency = forms.ChoiceField(
        label="How often", choices=JobAlert.Frequency.choices, initial=JobAlert.Frequency.WEEKLY
    )
