"""The default engine: an answer composed from the retrieved passages and the codes' structured
facts, with no network and no randomness, so the same question over the same data always gets
the same answer (and tests can pin it).

It recognises what a coder is asking (an add-on's primaries, a modifier, a replacement, the
difference between two codes, which codes cover something, an ICD-10-CM instruction), states the
facts that answer it, quotes CodeAhead's guidance where the asker may read it, cites each passage
by number, and says plainly what our pages do not say or what registering or upgrading unlocks.
"""

import re
from dataclasses import dataclass, field

from casepilot.retrieval import QUESTION_WORDS, Passage, Retrieved
from codes.models import Code, TabularNote

# How much guidance an answer quotes: passages, and lines from each.
QUOTED_PASSAGES = 2
QUOTED_LINES = 3
MAX_LINE = 360

ADD_ON = re.compile(r"add[- ]?on|primary|report(?:ed)? (?:it )?with|bill(?:ed)? with|alone", re.I)
MODIFIER = re.compile(r"\bmodifiers?\s*-?\s*([0-9]{2}|[A-Z]{2}|[A-Z][0-9]|[0-9][A-Z])?\b", re.I)
REPLACED = re.compile(r"replac|instead|deleted|retired|still (?:valid|active|good)|use now", re.I)
DIFFERENCE = re.compile(r"differen|\bvs\.?\b|versus|compare|distinguish|or\b", re.I)
NOTES = re.compile(
    r"additional code|code first|code also|excludes?|use additional|another code|second code"
    r"|paired with|sequenc|together with",
    re.I,
)
# Words that point a general question at a kind of section.
TOPICS = [
    (r"\bbill|claim|unit|time\b|minutes", "billing"),
    (r"\bpa(?:y|id|yment)|rvu|reimburs|fee|price", "payment"),
    (r"\bwho\b|perform|provider|physician|staff", "clinical"),
    (r"icd|diagnos|medical necessity|support", "crosswalk"),
    (r"what is|what does|describe|explain|mean", "summary"),
    (r"related|similar|other codes", "related"),
    (r"ncci|bundl|edit", "ncci"),
    (r"cover(?:ed|age)|lcd|ncd|policy", "coverage"),
]
# A table's rule row, under its header: | --- | :---: |
TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
# A question asking for an amount: lines stating one in dollars answer it.
AMOUNT = re.compile(r"\bpa(?:y|id|yment)|reimburs|\bfee\b|price|how much|amount|cost", re.I)
STOP = QUESTION_WORDS | frozenset(
    ["about", "any", "go", "goes", "get", "got", "have", "need", "needs", "there"]
)


@dataclass(slots=True)
class Citations:
    """Numbers passages in the order the answer first cites them."""

    cited: list[Passage] = field(default_factory=list)

    def __call__(self, passage: Passage | None) -> str:
        if passage is None:
            return ""
        if passage not in self.cited:
            self.cited.append(passage)
        return f" [{self.cited.index(passage) + 1}]"


def _words(text: str) -> set[str]:
    """Content words, cut to a crude stem, for overlap scoring."""
    return {w[:6] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP and len(w) > 2}


def _table_row(line: str, following: str) -> str | None:
    """A table's body row as one line, `first cell: the others`; header and rule rows none."""
    if TABLE_RULE.match(line) or TABLE_RULE.match(following):
        return None
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    cells = [cell for cell in cells if cell]
    return f"{cells[0]}: {'; '.join(cells[1:])}" if len(cells) > 1 else None


def _lines(markdown: str) -> list[str]:
    """A section body as quotable lines: bullet items, sentences and table rows; headings out."""
    lines = []
    raws = markdown.splitlines()
    for index, raw in enumerate(raws):
        line = raw.strip()
        if line.startswith("|"):
            following = raws[index + 1].strip() if index + 1 < len(raws) else ""
            row = _table_row(line, following)
            if row:
                lines.append(row[:MAX_LINE])
            continue
        if not line or line.startswith("#") or set(line) <= set("-*_ "):
            continue
        line = re.sub(r"^(?:[-*+]|\d+\.)\s+", "", line)
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z*])", line):
            if len(sentence) > 12:
                lines.append(sentence[:MAX_LINE])
    return lines


def _quotable(line: str, known: set[str]) -> bool:
    """A line names no identifier we lack (it would lose it in the answer) and has no link."""
    from casepilot.finish import ANSWER_CODE

    for match in ANSWER_CODE.finditer(line):
        if match.group("strict") and match.group(0).replace(".", "") not in known:
            return False
    return "](" not in line


class Composer:
    def __init__(self, retrieved: Retrieved, known: set[str]) -> None:
        self.r = retrieved
        self.known = known  # compact identifiers that exist, among those the passages name
        self.cite = Citations()
        self.words = _words(retrieved.question)
        self.asks_amount = bool(AMOUNT.search(retrieved.question))
        self.parts: list[str] = []

    # Building blocks

    def name(self, code: Code) -> str:
        return f"{code.code_set.name} {code.identifier}"

    def best_lines(self, passage: Passage, *, limit: int, must: str | None = None) -> list[str]:
        scored = []
        for position, line in enumerate(_lines(passage.text)):
            if not _quotable(line, self.known):
                continue
            if must and not re.search(must, line, re.I):
                continue
            score = len(self.words & _words(line))
            if self.asks_amount and re.search(r"\$\s?\d", line):
                score += 2
            scored.append((-score, position, line))
        scored.sort()
        chosen = sorted(scored[:limit], key=lambda s: s[1])
        return [line for _, _, line in chosen]

    def quote(self, passage: Passage, lines: list[str]) -> None:
        if not lines:
            return
        body = "\n".join(f"> {line}" for line in lines)
        self.parts.append(f"CodeAhead's guidance ({passage.label}){self.cite(passage)}:\n\n{body}")

    def guidance(
        self,
        code: Code,
        *,
        prefer: tuple[str, ...] = (),
        limit: int = QUOTED_PASSAGES,
        must: str | None = None,
    ) -> int:
        """Quote the best-matching readable sections of `code`; how many were quoted."""
        ranked = []
        for position, passage in enumerate(self.r.passages_of(code, "section")):
            overlap = len(self.words & _words(passage.label + " " + passage.text))
            bonus = 3 if passage.section_kind in prefer else 0
            ranked.append((-(overlap + bonus), position, passage))
        ranked.sort(key=lambda item: item[:2])
        quoted = 0
        for _, _, passage in ranked:
            if quoted >= limit:
                break
            lines = self.best_lines(passage, limit=QUOTED_LINES, must=must)
            if lines:
                self.quote(passage, lines)
                quoted += 1
        return quoted

    def locked_note(self, code: Code, topic: str | None = None) -> None:
        withheld = [w for w in self.r.withheld if w.code == code]
        if topic:
            withheld = [w for w in withheld if topic.lower() in w.title.lower()] or withheld
        if not withheld:
            return
        registering = [w.title for w in withheld if w.unlock == "register"]
        upgrading = [w.title for w in withheld if w.unlock == "upgrade"]
        sentences = []
        if code in self.r.locked:
            sentences.append(
                f"The descriptions and guidance of {self.name(code)} are not unlocked for you, "
                "so this answer uses its public facts only (asking never uses a code page view)."
            )
        if registering:
            sentences.append(
                f"A free account unlocks {self._titles(registering)} on the {self.name(code)} page."
            )
        if upgrading:
            sentences.append(
                f"Premium unlocks {self._titles(upgrading)} on the {self.name(code)} page."
            )
        self.parts.append(" ".join(sentences))

    @staticmethod
    def _titles(titles: list[str]) -> str:
        quoted = [f"“{t}”" for t in titles]
        return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]

    def facts(self, code: Code) -> Passage | None:
        return self.r.facts_of(code)

    # Intents

    def add_on(self, code: Code) -> None:
        facts = self.facts(code)
        primaries = list(code.primary_codes.all())
        if code.is_add_on:
            listed = ", ".join(f"{p.identifier} ({p.title})" for p in primaries)
            text = f"Yes. {self.name(code)} is an add-on code: it is reported in addition to a "
            text += "primary procedure, never alone."
            if listed:
                text += f" Report it with one of its primary codes: {listed}."
            self.parts.append(text + self.cite(facts))
        else:
            text = f"No. {self.name(code)} ({code.title}) is not an add-on code in CodeAhead's "
            text += "records; it is "
            text += "reported on its own."
            add_ons = list(code.add_on_codes.all())
            if add_ons:
                text += (
                    " Add-on codes reported with it: "
                    + ", ".join(f"{a.identifier} ({a.title})" for a in add_ons)
                    + "."
                )
            self.parts.append(text + self.cite(facts))
        self.guidance(code, prefer=("billing", "related"), limit=1)
        self.locked_note(code, "billing")

    def modifier(self, code: Code, modifier: str | None) -> None:
        sections = self.r.passages_of(code, "section")
        mods = [p for p in sections if p.section_kind == "modifiers"]
        facts = self.facts(code)
        self.parts.append(f"{self.name(code)}: {code.title}." + self.cite(facts))
        if modifier:
            pattern = rf"(?<![\w.-])-?{re.escape(modifier)}(?![\w])"
            found = 0
            for passage in mods:
                lines = self.best_lines(passage, limit=QUOTED_LINES, must=pattern)
                if lines:
                    self.quote(passage, lines)
                    found += 1
            if not found:
                for passage in sections:
                    if passage in mods:
                        continue
                    lines = self.best_lines(passage, limit=2, must=rf"modifier[- ]*{modifier}\b")
                    if lines:
                        self.quote(passage, lines)
                        found += 1
                        break
            if not found and mods:
                self.parts.append(
                    f"CodeAhead's Modifiers section for {self.name(code)} does not mention "
                    f"modifier {modifier}, so our pages do not answer this; the modifiers it "
                    "does discuss:"
                )
                self.quote(mods[0], self.best_lines(mods[0], limit=QUOTED_LINES))
            elif not found:
                self.parts.append(
                    f"CodeAhead has no guidance you can read on modifier {modifier} with "
                    f"{self.name(code)}, so our pages do not answer this."
                )
        elif mods:
            self.quote(mods[0], self.best_lines(mods[0], limit=QUOTED_LINES))
        else:
            self.parts.append(
                f"CodeAhead has no modifier guidance you can read for {self.name(code)}."
            )
        self.locked_note(code, "modifier")

    def replacement(self, code: Code) -> None:
        facts = self.facts(code)
        if code.is_deleted:
            ended = f" after {code.end_date:%B %-d, %Y}" if code.end_date else ""
            text = f"{self.name(code)} ({code.title}) was deleted{ended}."
            if code.replaced_by:
                new = code.replaced_by
                text += (
                    f" It was replaced by {new.code_set.name} {new.identifier} ({new.title}): "
                    "report that code for later dates of service."
                )
                self.parts.append(text + self.cite(facts) + self.cite(self.facts(new)))
            else:
                text += " CodeAhead records no replacement code for it."
                self.parts.append(text + self.cite(facts))
        else:
            text = f"{self.name(code)} ({code.title}) is active; it has not been deleted."
            replaces = list(code.replaces.all())
            if replaces:
                text += (
                    " It replaces "
                    + ", ".join(f"{old.identifier} ({old.title})" for old in replaces)
                    + "."
                )
            self.parts.append(text + self.cite(facts))
        self.guidance(code, prefer=("history", "billing"), limit=1)

    def difference(self, first: Code, second: Code) -> None:
        self.parts.append("The two codes, side by side:")
        rows = []
        for code in (first, second):
            facts = self.facts(code)
            flags = []
            if code.is_add_on:
                flags.append("add-on")
            flags.append("deleted" if code.is_deleted else "active")
            rows.append(
                f"- **{code.identifier}**: {code.title} ({', '.join(flags)})" + self.cite(facts)
            )
        self.parts.append("\n".join(rows))
        for code in (first, second):
            descriptions = self.r.passages_of(code, "description")
            if descriptions:
                lines = self.best_lines(descriptions[0], limit=2)
                self.quote(descriptions[0], lines)
            self.guidance(code, prefer=("summary", "billing", "related"), limit=1)
            self.locked_note(code)

    def which(self) -> None:
        hits = self.r.found
        if not hits:
            self.parts.append(
                "CodeAhead found no code whose public wording matches this question. Try the "
                "words a code title would use, or search the code sets."
            )
            return
        self.parts.append("The codes whose public wording best matches your question:")
        rows = []
        for code in hits:
            flags = " (deleted)" if code.is_deleted else (" (add-on)" if code.is_add_on else "")
            rows.append(
                f"- **{code.identifier}** ({code.code_set.name}): {code.title}{flags}"
                + self.cite(self.facts(code))
            )
        self.parts.append("\n".join(rows))
        top = hits[0]
        self.guidance(top, prefer=("summary", "billing"), limit=1)
        self.locked_note(top)

    def notes(self, code: Code) -> None:
        notes = self.r.passages_of(code, "notes")
        facts = self.facts(code)
        question = self.r.question.lower()
        wanted = []
        if re.search(r"code first|sequenc", question):
            wanted.append(TabularNote.Kind.CODE_FIRST)
        if re.search(r"additional|another|second|also|together|paired", question):
            wanted += [TabularNote.Kind.USE_ADDITIONAL, TabularNote.Kind.CODE_ALSO]
        if "exclude" in question:
            wanted += [TabularNote.Kind.EXCLUDES1, TabularNote.Kind.EXCLUDES2]
        if not wanted:
            wanted = [
                TabularNote.Kind.USE_ADDITIONAL,
                TabularNote.Kind.CODE_FIRST,
                TabularNote.Kind.CODE_ALSO,
            ]
        chosen = [p for p in notes if p.note_kind in wanted]
        if chosen:
            self.parts.append(
                f"The official ICD-10-CM instructions for {self.name(code)} ({code.title}) say:"
                + self.cite(facts)
            )
            rows = [
                f"- **{p.text.split(':', 1)[0]}**:{p.text.split(':', 1)[1]}" + self.cite(p)
                for p in chosen
            ]
            self.parts.append("\n".join(rows))
        elif code.code_set.slug == "icd10cm":
            kinds = ", ".join(TabularNote.Kind(k).label for k in wanted)
            self.parts.append(
                f"The official ICD-10-CM tabular list gives {self.name(code)} ({code.title}) no "
                f"“{kinds}” instruction that CodeAhead has loaded." + self.cite(facts)
            )
        else:
            self.parts.append(
                f"{self.name(code)} is not an ICD-10-CM code, so the tabular list's instructions "
                "do not apply to it." + self.cite(facts)
            )
        self.guidance(code, prefer=("crosswalk", "billing", "coding_tips"), limit=1)
        self.locked_note(code)

    def general(self, code: Code) -> None:
        facts = self.facts(code)
        prefer = tuple(
            kind for pattern, kind in TOPICS if re.search(pattern, self.r.question, re.I)
        )
        self.parts.append((facts.text if facts else self.name(code)) + self.cite(facts))
        descriptions = self.r.passages_of(code, "description")
        asks_meaning = re.search(r"descri|mean|what is|what does|define", self.r.question, re.I)
        if descriptions and asks_meaning:
            self.quote(descriptions[0], self.best_lines(descriptions[0], limit=2))
        quoted = self.guidance(code, prefer=prefer)
        if not quoted and descriptions and not asks_meaning:
            self.quote(descriptions[0], self.best_lines(descriptions[0], limit=2))
        self.locked_note(code)

    # The whole answer

    def compose(self) -> str:
        r = self.r
        question = r.question
        codes = r.codes
        subjects = r.mentioned or codes
        modifier = MODIFIER.search(question)
        if not codes or (r.found and not r.mentioned):
            self.which()
        elif len(subjects) >= 2 and DIFFERENCE.search(question) and not modifier:
            self.difference(subjects[0], subjects[1])
        elif modifier:
            code = next((c for c in subjects if c.code_set.slug in {"cpt", "hcpcs"}), subjects[0])
            self.modifier(code, (modifier.group(1) or "").upper() or None)
        elif REPLACED.search(question):
            self.replacement(subjects[0])
        elif ADD_ON.search(question):
            self.add_on(subjects[0])
        elif NOTES.search(question) and subjects[0].code_set.slug == "icd10cm":
            self.notes(subjects[0])
        else:
            self.general(subjects[0])
        return "\n\n".join(part for part in self.parts if part)


@dataclass(frozen=True, slots=True)
class Composed:
    markdown: str  # citations as [n], identifiers not linked yet
    sources: list[Passage]


def compose(retrieved: Retrieved) -> Composed:
    """The default engine's answer to a retrieved question."""
    from casepilot.finish import ANSWER_CODE

    named = {
        m.group(0).replace(".", "")
        for p in retrieved.passages
        for m in ANSWER_CODE.finditer(p.text)
    }
    known = set()
    if named:
        known = {
            identifier.replace(".", "")
            for identifier in Code.objects.by_compacts(sorted(named)).values_list(
                "identifier", flat=True
            )
        }
    composer = Composer(retrieved, known)
    markdown = composer.compose()
    return Composed(markdown=markdown, sources=list(composer.cite.cited))
