"""The patient-identifier guard: text that looks like it holds a patient's identity is refused
before anything of it is stored. CaseConsultant uses it for questions, replies and mail; CasePilot
will use it for its questions.

What it looks for: a Social Security number, a medical record number (or another patient or
chart number given as such), a phone number, an email address, and a date of birth: a date
labelled as one, or any date beside a person's name ("John Smith 03/14/1962"). It errs on the side
of refusing; the message tells the writer how to describe a patient instead (age and sex), and
which kinds of identifier it saw, never the text it matched.

Codes are not mistaken for identifiers: CPT and HCPCS codes have five characters, ICD-10 codes
at most seven with one dot, and ranges such as 99202-99215 have no 3-3-4 or 3-2-4 digit groups.
"""

import re

from django.core.exceptions import ValidationError

SSN = "a Social Security number"
MRN = "a medical record or patient number"
PHONE = "a phone number"
EMAIL = "an email address"
BIRTH_DATE = "a date of birth"
DATE_BY_NAME = "a date beside a name"

_SSN = re.compile(
    r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])"
    r"|\b(?:SSN|SS#|social\s+security(?:\s+(?:number|no\.?|#))?)\s*[:#]?\s*\d{9}\b",
    re.IGNORECASE,
)
_MRN = re.compile(
    r"\b(?:MRN|MR\s*#|med(?:ical)?\.?\s+rec(?:ord)?\.?\s*(?:number|no\.?|num|#)?"
    r"|chart\s*(?:number|no\.?|#)|patient\s*(?:id|number|no\.?|#|acct\.?|account(?:\s+number)?)"
    r"|account\s*(?:number|no\.?|#)|acct\.?\s*(?:number|no\.?|#)?)"
    r"\s*(?:is|was|=)?\s*[:#]?\s*(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"
    r"|\b(?:phone|tel|telephone|cell|mobile)\s*(?:number|no\.?|#)?\s*[:#]?\s*\+?\d{10,11}\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+\d{{4}})"
)
_BIRTH_DATE = re.compile(
    rf"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?)"
    rf"\s*(?:is|was)?\s*[:\-]?\s*{_DATE}",
    re.IGNORECASE,
)
_DATE_ANYWHERE = re.compile(_DATE, re.IGNORECASE)

# A name: a title and a capitalised word, or two or three capitalised words ("John Smith",
# "Smith, John", "Mary Ann Jones") that are not words coders capitalise anyway.
_TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+[A-Z][a-z'-]+")
_NAME = re.compile(r"\b([A-Z][a-z'-]+)(,?\s+)([A-Z][a-z'-]+)(?:\s+[A-Z][a-z'-]+)?")
_NOT_NAME_WORDS = """
    a an and are as at be but by can code codes coder coding could did do does for from had has
    have he her his how i if in is it its may might must my no not of on or our per she should
    so that the their them then there these they this those to was we were what when where which
    who why will with would you your yes after before during since until between also both each
    every please thanks thank hello hi dear regards question answer follow up patient patients
    provider physician doctor surgeon nurse clinic hospital office facility emergency department
    room inpatient outpatient professional medicare medicaid commercial advantage tricare payer
    payers insurance plan blue cross shield aetna cigna humana united healthcare kaiser anthem
    medical medicine center health services service care billing coding modifier modifiers claim
    claims denial denied appeal audit procedure procedures diagnosis visit visits new
    established level admission discharge observation surgery surgical cpt hcpcs icd icd-10
    icd-10-cm icd-10-pcs ncci mue lcd ncd cms ama aha drg ms-drg apc rvu rvus january february
    march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday today yesterday tomorrow type chronic acute left
    right bilateral anterior posterior total partial initial subsequent
"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
# How far a date may sit from a name to count as beside it (characters between them).
_NEARBY = 40


def _names(text: str) -> list[tuple[int, int]]:
    """Where the person-like names of `text` are."""
    spans = [match.span() for match in _TITLED_NAME.finditer(text)]
    for match in _NAME.finditer(text):
        words = [match.group(1), match.group(3)]
        if any(word.lower() in _NOT_NAMES for word in words):
            continue
        spans.append(match.span())
    return spans


def _date_beside_name(text: str) -> bool:
    names = _names(text)
    if not names:
        return False
    for date in _DATE_ANYWHERE.finditer(text):
        start, end = date.span()
        for name_start, name_end in names:
            gap = start - name_end if name_end <= start else name_start - end
            if -1 <= gap <= _NEARBY:
                return True
    return False


def patient_identifiers(text: str) -> list[str]:
    """The kinds of patient identifier `text` seems to hold, in a fixed order; [] when none."""
    found = []
    if _SSN.search(text):
        found.append(SSN)
    if _MRN.search(text):
        found.append(MRN)
    if _PHONE.search(text):
        found.append(PHONE)
    if _EMAIL.search(text):
        found.append(EMAIL)
    if _BIRTH_DATE.search(text):
        found.append(BIRTH_DATE)
    elif _date_beside_name(text):
        found.append(DATE_BY_NAME)
    return found


def refusal_message(kinds: list[str]) -> str:
    """What the writer is told: what was seen (never the text itself) and what to do."""
    seen = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return (
        f"This looks like it holds patient identifiers ({seen}). Nothing was saved. Remove "
        "names, dates of birth, record numbers and contact details, and describe the patient "
        "by age and sex instead (for example “a 67-year-old woman”)."
    )


def reject_patient_identifiers(value: str) -> None:
    """A form field validator: refuses `value` when it seems to identify a patient."""
    kinds = patient_identifiers(value)
    if kinds:
        raise ValidationError(refusal_message(kinds), code="patient_identifiers")
