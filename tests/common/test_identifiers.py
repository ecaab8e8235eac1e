"""The patient-identifier guard (common.identifiers), shared by CaseConsultant and CasePilot."""

import pytest
from django.core.exceptions import ValidationError

from common.identifiers import (
    BIRTH_DATE,
    DATE_BY_NAME,
    EMAIL,
    MRN,
    PHONE,
    SSN,
    patient_identifiers,
    reject_patient_identifiers,
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Patient SSN 123-45-6789, seen for follow-up.", SSN),
        ("Social security number: 123456789", SSN),
        ("ss 123 45 6789 on the claim", SSN),
        ("MRN 00482913 was billed twice.", MRN),
        ("Medical record number: A7734-22", MRN),
        ("chart # 55129 shows a 99214", MRN),
        ("patient ID 8812345 had an echo", MRN),
        ("Call her at (555) 123-4567 about the denial", PHONE),
        ("cell 555.123.4567", PHONE),
        ("+1 555 123 4567", PHONE),
        ("Her address is jane.doe@example.com", EMAIL),
        ("DOB: 03/14/1962, came in for 99213", BIRTH_DATE),
        ("date of birth 1962-03-14", BIRTH_DATE),
        ("born on March 14, 1962", BIRTH_DATE),
        ("John Smith 03/14/1962 presented with chest pain", DATE_BY_NAME),
        ("Smith, John (3/14/62) had a colonoscopy", DATE_BY_NAME),
        ("Mrs. Alvarez, 14 March 1962, was admitted", DATE_BY_NAME),
    ],
)
def test_identifiers_are_found(text, kind):
    assert kind in patient_identifiers(text)


@pytest.mark.parametrize(
    "text",
    [
        "Can modifier 25 go on 99213 with 11102 on the same day?",
        "Range 99202-99215, and ICD-10-CM E11.9 with Z79.4",
        "HCPCS J0135 x2 units, NDC 0074-3799-02",
        "Date of service 03/14/2026: a 67-year-old woman had an echo (93306).",
        "On January 5, 2026 Medicare denied the claim for 0439T.",
        "Dr. Patel performed 47562 on 2026-02-03 in the outpatient facility.",
        "Billing Guidelines for 2026 say the add-on 99417 needs 99205.",
        "ICD-10-PCS 0DTJ4ZZ for a laparoscopic appendectomy",
    ],
)
def test_coding_questions_pass(text):
    assert patient_identifiers(text) == []


def test_the_validator_names_what_it_saw_never_the_text():
    with pytest.raises(ValidationError) as refused:
        reject_patient_identifiers("Jane Roe, DOB 01/02/1950, phone 555-201-3344")

    message = refused.value.messages[0]
    assert "a phone number and a date of birth" in message
    assert "Nothing was saved" in message
    assert "555" not in message and "1950" not in message
