"""schema.org `JobPosting` markup of an open job, as Google's job-posting rules ask: title, an
HTML description, datePosted, validThrough, employmentType, hiringOrganization, baseSalary with
currency and unit, and either jobLocation (on-site and hybrid jobs) or, for fully remote ones,
jobLocationType TELECOMMUTE with applicantLocationRequirements (the United States or one state).
Expired and closed jobs carry none (careercenter.views)."""

from decimal import Decimal
from typing import Any

from careercenter.models import STATE_NAMES, EmploymentType, Job, PayPeriod, WorkMode

EMPLOYMENT_TYPES = {
    EmploymentType.FULL_TIME: "FULL_TIME",
    EmploymentType.PART_TIME: "PART_TIME",
    EmploymentType.CONTRACT: "CONTRACTOR",
    EmploymentType.TEMPORARY: "TEMPORARY",
    EmploymentType.PER_DIEM: "PER_DIEM",
    EmploymentType.INTERNSHIP: "INTERN",
}
UNITS = {PayPeriod.HOUR: "HOUR", PayPeriod.YEAR: "YEAR"}


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def job_posting(job: Job, *, url: str, website: str = "") -> dict[str, Any]:
    """The markup of an open job, as a dict."""
    assert job.published_at is not None and job.expires_at is not None
    description = job.description_html
    organization: dict[str, Any] = {"@type": "Organization", "name": job.organization}
    if website:
        organization["sameAs"] = website
    pay: dict[str, Any] = {
        "@type": "QuantitativeValue",
        "unitText": UNITS[PayPeriod(job.pay_period)],
    }
    if job.pay_min == job.pay_max:
        pay["value"] = _number(job.pay_min)
    else:
        pay["minValue"], pay["maxValue"] = _number(job.pay_min), _number(job.pay_max)
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": description,
        "identifier": {"@type": "PropertyValue", "name": job.organization, "value": str(job.pk)},
        "url": url,
        "datePosted": job.published_at.isoformat(),
        "validThrough": job.expires_at.isoformat(),
        "employmentType": EMPLOYMENT_TYPES[EmploymentType(job.employment_type)],
        "hiringOrganization": organization,
        "baseSalary": {"@type": "MonetaryAmount", "currency": "USD", "value": pay},
        "directApply": False,
        "experienceRequirements": (
            {
                "@type": "OccupationalExperienceRequirements",
                "monthsOfExperience": job.experience_years * 12,
            }
            if job.experience_years
            else "no requirements"
        ),
    }
    if job.credentials:
        data["educationRequirements"] = {
            "@type": "EducationalOccupationalCredential",
            "credentialCategory": "professional certificate",
        }
    if job.work_mode == WorkMode.REMOTE:
        where = STATE_NAMES[job.state] if job.state else "the United States"
        # Google asks that the description itself say the job is fully remote, and where from.
        data["description"] = (
            description + f"<p>This job is 100% remote; applicants must live in {where}.</p>"
        )
        data["jobLocationType"] = "TELECOMMUTE"
        data["applicantLocationRequirements"] = (
            {"@type": "State", "name": STATE_NAMES[job.state]}
            if job.state
            else {"@type": "Country", "name": "USA"}
        )
    else:
        data["jobLocation"] = {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": job.city,
                "addressRegion": job.state,
                "addressCountry": "US",
            },
        }
    return data
