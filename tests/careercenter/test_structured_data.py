"""The JobPosting markup of a job page, checked against Google's job-posting rules
(developers.google.com/search/docs/appearance/structured-data/job-posting), written out here as
a checker independent of the code that makes the markup."""

import datetime
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from tests.careercenter.conftest import make_employer, make_job

pytestmark = pytest.mark.django_db

EMPLOYMENT_TYPES = {
    "FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "VOLUNTEER", "PER_DIEM",
    "OTHER",
}  # fmt: skip
UNITS = {"HOUR", "DAY", "WEEK", "MONTH", "YEAR"}
CREDENTIAL_CATEGORIES = {
    "high school", "associate degree", "bachelor degree", "professional certificate",
    "postgraduate degree",
}  # fmt: skip


def _iso(value: Any) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def problems_of(data: dict[str, Any]) -> list[str]:
    """Every way `data` breaks Google's job-posting rules: the required properties, and the
    recommended ones we promise (validThrough, employmentType, baseSalary)."""
    found = []
    if data.get("@context") not in ("https://schema.org/", "https://schema.org"):
        found.append("@context is not schema.org")
    if data.get("@type") != "JobPosting":
        found.append("@type is not JobPosting")
    # Required
    if not _text(data.get("title")):
        found.append("title missing")
    description = str(data.get("description") or "")
    if not _text(description):
        found.append("description missing")
    elif not re.search(r"<(p|ul|li|br)\b", description):
        found.append("description is not HTML")
    elif description == data.get("title"):
        found.append("description repeats the title")
    posted = _iso(data.get("datePosted"))
    if posted is None:
        found.append("datePosted missing or not ISO 8601")
    organization = data.get("hiringOrganization")
    if not isinstance(organization, dict) or organization.get("@type") != "Organization":
        found.append("hiringOrganization is not an Organization")
    elif not _text(organization.get("name")):
        found.append("hiringOrganization has no name")
    remote = data.get("jobLocationType") == "TELECOMMUTE"
    if "jobLocationType" in data and not remote:
        found.append("jobLocationType other than TELECOMMUTE")
    location = data.get("jobLocation")
    if location is None and not remote:
        found.append("jobLocation missing (and not a TELECOMMUTE job)")
    for place in location if isinstance(location, list) else [location] if location else []:
        address = place.get("address") if isinstance(place, dict) else None
        if place.get("@type") != "Place" or not isinstance(address, dict):
            found.append("jobLocation is not a Place with an address")
        elif address.get("@type") != "PostalAddress" or not _text(address.get("addressCountry")):
            found.append("jobLocation address is not a PostalAddress with addressCountry")
        elif not (_text(address.get("addressLocality")) and _text(address.get("addressRegion"))):
            found.append("jobLocation address lacks locality or region")
    if remote and location is None:
        where = data.get("applicantLocationRequirements")
        areas = where if isinstance(where, list) else [where] if where else []
        if not areas:
            found.append("TELECOMMUTE without applicantLocationRequirements")
        for area in areas:
            if area.get("@type") not in ("Country", "State", "AdministrativeArea") or not _text(
                area.get("name")
            ):
                found.append("applicantLocationRequirements is not a named Country or State")
    if remote and "100% remote" not in (description or ""):
        found.append("a TELECOMMUTE job's description does not say it is 100% remote")
    # validThrough: required for jobs that expire (ours all do), after datePosted.
    until = _iso(data.get("validThrough"))
    if until is None:
        found.append("validThrough missing or not ISO 8601")
    elif posted is not None and until <= posted:
        found.append("validThrough is not after datePosted")
    # Recommended
    kinds = data.get("employmentType")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if not kinds or any(kind not in EMPLOYMENT_TYPES for kind in kinds):
        found.append("employmentType missing or not one of Google's values")
    salary = data.get("baseSalary")
    if not isinstance(salary, dict) or salary.get("@type") != "MonetaryAmount":
        found.append("baseSalary is not a MonetaryAmount")
    else:
        if not (
            isinstance(salary.get("currency"), str)
            and re.fullmatch(r"[A-Z]{3}", salary["currency"])
        ):
            found.append("baseSalary currency is not an ISO 4217 code")
        value = salary.get("value")
        if not isinstance(value, dict) or value.get("@type") != "QuantitativeValue":
            found.append("baseSalary value is not a QuantitativeValue")
        else:
            if value.get("unitText") not in UNITS:
                found.append("baseSalary unitText not one of HOUR, DAY, WEEK, MONTH, YEAR")
            if "value" in value:
                if not _number(value["value"]):
                    found.append("baseSalary value is not a positive number")
            elif not (_number(value.get("minValue")) and _number(value.get("maxValue"))):
                found.append("baseSalary has neither value nor minValue and maxValue")
            elif value["minValue"] > value["maxValue"]:
                found.append("baseSalary minValue above maxValue")
    experience = data.get("experienceRequirements")
    if (
        experience is not None
        and experience != "no requirements"
        and not (
            isinstance(experience, dict)
            and experience.get("@type") == "OccupationalExperienceRequirements"
            and _number(experience.get("monthsOfExperience"))
        )
    ):
        found.append("experienceRequirements malformed")
    education = data.get("educationRequirements")
    if (
        education is not None
        and education != "no requirements"
        and not (
            isinstance(education, dict)
            and education.get("@type") == "EducationalOccupationalCredential"
            and education.get("credentialCategory") in CREDENTIAL_CATEGORIES
        )
    ):
        found.append("educationRequirements malformed")
    return found


def markup_of(client, job) -> dict[str, Any]:
    response = client.get(job.get_absolute_url())
    html = response.content.decode()
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    scripts = re.findall(
        rf'<script type="application/ld\+json" nonce="{nonce}">(.*?)</script>', html, re.S
    )
    assert len(scripts) == 1
    return json.loads(scripts[0])


KINDS: dict[str, dict[str, Any]] = {
    "on-site": {"work_mode": "onsite", "city": "Dayton", "state": "OH"},
    "hybrid": {"work_mode": "hybrid", "city": "Austin", "state": "TX"},
    "remote anywhere in the US": {"work_mode": "remote", "state": ""},
    "remote for one state": {"work_mode": "remote", "state": "FL"},
}


@pytest.mark.parametrize("kind", list(KINDS), ids=list(KINDS))
def test_every_kind_of_open_job_carries_markup_google_accepts(client, frozen, kind):
    job = make_job(**KINDS[kind])

    data = markup_of(client, job)

    assert problems_of(data) == []
    assert data["title"] == job.title
    assert data["hiringOrganization"]["name"] == job.organization
    assert data["url"] == f"http://testserver{job.get_absolute_url()}"


def test_remote_jobs_are_telecommute_with_where_applicants_may_live(client, frozen):
    anywhere = markup_of(client, make_job(work_mode="remote", state=""))
    florida = markup_of(client, make_job(work_mode="remote", state="FL"))

    assert anywhere["jobLocationType"] == "TELECOMMUTE" and "jobLocation" not in anywhere
    assert anywhere["applicantLocationRequirements"] == {"@type": "Country", "name": "USA"}
    assert florida["applicantLocationRequirements"] == {"@type": "State", "name": "Florida"}
    assert "applicants must live in Florida" in florida["description"]


def test_hybrid_jobs_have_a_place_and_are_not_telecommute(client, frozen):
    data = markup_of(client, make_job(work_mode="hybrid", city="Austin", state="TX"))

    # Google: TELECOMMUTE only for jobs that are 100% remote.
    assert "jobLocationType" not in data
    assert data["jobLocation"]["address"] == {
        "@type": "PostalAddress",
        "addressLocality": "Austin",
        "addressRegion": "TX",
        "addressCountry": "US",
    }


def test_pay_dates_and_kind_are_spelled_as_google_asks(client, frozen):
    employer = make_employer(website="https://riverside.example")
    ranged_job = make_job(
        employer, pay_min=Decimal("27.50"), pay_max=Decimal(32), employment_type="contract"
    )
    single_job = make_job(
        pay_min=Decimal(58000), pay_max=Decimal(58000), pay_period="year", experience_years=0,
        credentials=[],
    )  # fmt: skip
    ranged, single = markup_of(client, ranged_job), markup_of(client, single_job)

    assert ranged["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "USD",
        "value": {"@type": "QuantitativeValue", "minValue": 27.5, "maxValue": 32,
                  "unitText": "HOUR"},
    }  # fmt: skip
    assert single["baseSalary"]["value"] == {
        "@type": "QuantitativeValue", "value": 58000, "unitText": "YEAR",
    }  # fmt: skip
    assert ranged["employmentType"] == "CONTRACTOR"
    assert ranged["datePosted"] == "2026-03-03T09:30:00+00:00"
    assert ranged["validThrough"] == "2026-04-02T09:30:00+00:00"
    assert ranged["hiringOrganization"]["sameAs"] == "https://riverside.example"
    assert ranged["experienceRequirements"]["monthsOfExperience"] == 24
    assert single["experienceRequirements"] == "no requirements"
    assert "educationRequirements" not in single


def test_the_markup_cannot_be_broken_out_of(client, frozen):
    job = make_job(title="Coder </script><script>alert(1)</script>",
                   description_markdown="A & B <b>bold</b> </script>")  # fmt: skip

    html = client.get(job.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in html
    assert problems_of(markup_of(client, job)) == []


# The checker itself: each rule catches the fault it names.

BROKEN = {
    "title missing": lambda d: d.pop("title"),
    "description missing": lambda d: d.pop("description"),
    "description is not HTML": lambda d: d.update(description="Plain text only."),
    "datePosted missing or not ISO 8601": lambda d: d.update(datePosted="March 3rd"),
    "hiringOrganization has no name": lambda d: d["hiringOrganization"].pop("name"),
    "jobLocation missing (and not a TELECOMMUTE job)": lambda d: d.pop("jobLocation"),
    "jobLocation address is not a PostalAddress with addressCountry": (
        lambda d: d["jobLocation"]["address"].pop("addressCountry")
    ),
    "validThrough missing or not ISO 8601": lambda d: d.pop("validThrough"),
    "validThrough is not after datePosted": lambda d: d.update(validThrough=d["datePosted"]),
    "employmentType missing or not one of Google's values": (
        lambda d: d.update(employmentType="full time")
    ),
    "baseSalary currency is not an ISO 4217 code": (lambda d: d["baseSalary"].update(currency="$")),
    "baseSalary unitText not one of HOUR, DAY, WEEK, MONTH, YEAR": (
        lambda d: d["baseSalary"]["value"].update(unitText="an hour")
    ),
    "baseSalary minValue above maxValue": (
        lambda d: d["baseSalary"]["value"].update(minValue=99, maxValue=1)
    ),
}


@pytest.mark.parametrize("fault", list(BROKEN))
def test_the_checker_catches_each_broken_rule(client, frozen, fault):
    data = markup_of(client, make_job(work_mode="onsite", city="Dayton", state="OH"))
    BROKEN[fault](data)

    assert fault in problems_of(data)


def test_the_checker_requires_where_a_telecommute_job_takes_applicants(client, frozen):
    data = markup_of(client, make_job(work_mode="remote", state=""))
    data.pop("applicantLocationRequirements")

    assert "TELECOMMUTE without applicantLocationRequirements" in problems_of(data)
