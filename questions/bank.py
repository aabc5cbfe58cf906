"""Reading and writing the question bank's Markdown format.

The format, as the bundled bank uses it::

    # Bank title
    ## Table of Contents          (skipped)
    ## Category name
    ### 12. Question title
    **Answer:** first line of the answer
    further Markdown lines, kept verbatim
    **Scenario Question 12.1:** the follow-up prompt
    **Scenario Answer 12.1:** its answer
    **Key points:**               (optional, after an answer or a scenario answer)
    - one short statement per bullet

Answers are kept exactly as written (inner blank lines, lists, trailing spaces), minus the
blank lines around them, so an export followed by an import reproduces the bank.
This module knows nothing of the database: it turns text into `ParsedBank` and back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from questions.models import KEY_POINT_MAX_LENGTH

BUNDLED_BANK = Path(__file__).resolve().parent / "bank" / "genai-interview-questions.md"
DEFAULT_TITLE = "Generative AI Interview Questions and Answers"

_TITLE = re.compile(r"^# (?P<title>\S.*?)\s*$")
_CATEGORY = re.compile(r"^## (?P<name>\S.*?)\s*$")
_QUESTION = re.compile(r"^### (?P<number>\d+)\.\s+(?P<title>\S.*?)\s*$")
_ANSWER = re.compile(r"^\*\*Answer:\*\*\s?(?P<rest>.*)$")
_SCENARIO_QUESTION = re.compile(r"^\*\*Scenario Question (?P<label>\d+\.\d+):\*\*\s?(?P<rest>.*)$")
_SCENARIO_ANSWER = re.compile(r"^\*\*Scenario Answer (?P<label>\d+\.\d+):\*\*\s?(?P<rest>.*)$")
_KEY_POINTS = re.compile(r"^\*\*Key points:\*\*\s*$")
_KEY_POINT = re.compile(r"^[-*](?:\s+(?P<text>.*))?$")
_RULE = re.compile(r"^-{3,}\s*$")
_TABLE_OF_CONTENTS = "table of contents"


def lf_line_breaks(text: str) -> str:
    """The text with CRLF and CR line breaks as LF: how the bank (and every text from a
    <textarea>, which browsers submit with CRLF) is stored and counted."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class BankFormatError(ValueError):
    """The bank text is malformed; `line` is 1-based (0 when the problem is the whole file)."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class ParsedScenario:
    label: str
    prompt: str
    answer: str
    key_points: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedQuestion:
    number: int
    category: str
    title: str
    answer: str
    scenarios: tuple[ParsedScenario, ...] = ()
    key_points: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedBank:
    title: str
    categories: tuple[str, ...]
    questions: tuple[ParsedQuestion, ...]

    @property
    def scenario_count(self) -> int:
        return sum(len(question.scenarios) for question in self.questions)


@dataclass
class _Block:
    """Markdown lines being collected for one answer, prompt or scenario answer."""

    start_line: int
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = list(self.lines)
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines)


@dataclass
class _KeyPoints:
    """The `**Key points:**` list of one answer, being read."""

    start_line: int
    points: list[str] = field(default_factory=list)


@dataclass
class _OpenScenario:
    label: str
    prompt: _Block
    answer: _Block | None = None
    key_points: _KeyPoints | None = None


@dataclass
class _OpenQuestion:
    number: int
    category: str
    title: str
    line: int
    answer: _Block | None = None
    scenarios: list[_OpenScenario] = field(default_factory=list)
    key_points: _KeyPoints | None = None

    def current_block(self) -> _Block | None:
        if self.scenarios:
            scenario = self.scenarios[-1]
            return scenario.answer or scenario.prompt
        return self.answer

    def current_key_points(self) -> _KeyPoints | None:
        """The key points of the answer being read, once they have begun."""
        return self.scenarios[-1].key_points if self.scenarios else self.key_points


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = lf_line_breaks(text).split("\n")
        self.title = ""
        self.categories: list[str] = []
        self.category: str | None = None
        self.in_table_of_contents = False
        self.question: _OpenQuestion | None = None
        self.questions: list[ParsedQuestion] = []
        self.first_seen: dict[int, int] = {}
        # The key point list being read: lines go there, not to an answer, until the next marker.
        self.key_points: _KeyPoints | None = None

    def parse(self) -> ParsedBank:
        if not any(line.strip() for line in self.lines):
            raise BankFormatError(0, "the file is empty")
        for index, line in enumerate(self.lines):
            self.feed(index + 1, line)
        self.close_question(len(self.lines))
        if not self.questions:
            raise BankFormatError(0, "no questions found (expected '### 1. Title' headings)")
        return ParsedBank(
            title=self.title or DEFAULT_TITLE,
            categories=tuple(self.categories),
            questions=tuple(self.questions),
        )

    def feed(self, number: int, line: str) -> None:
        if (key_points := self.key_points) is not None and self.feed_key_point(
            key_points, number, line
        ):
            return
        if not self.title and self.category is None and (match := _TITLE.match(line)):
            self.title = match["title"]
        elif match := _CATEGORY.match(line):
            self.start_category(number, match["name"])
        elif match := _QUESTION.match(line):
            self.start_question(number, int(match["number"]), match["title"])
        elif self.in_table_of_contents:
            return
        elif _RULE.match(line) and self.is_section_break(number):
            self.close_question(number)
        elif match := _ANSWER.match(line):
            self.start_answer(number, match["rest"])
        elif match := _SCENARIO_QUESTION.match(line):
            self.start_scenario(number, match["label"], match["rest"])
        elif match := _SCENARIO_ANSWER.match(line):
            self.start_scenario_answer(number, match["label"], match["rest"])
        elif _KEY_POINTS.match(line):
            self.start_key_points(number)
        else:
            self.add_line(number, line)

    def feed_key_point(self, key_points: _KeyPoints, number: int, line: str) -> bool:
        """Read one line of a key point list; False when the line ends the list."""
        if not line.strip():
            return True
        match = _KEY_POINT.match(line)
        if match is None:
            self.close_key_points()
            return False
        text = (match["text"] or "").strip()
        if not text:
            raise BankFormatError(number, "empty key point")
        if len(text) > KEY_POINT_MAX_LENGTH:
            raise BankFormatError(
                number,
                f"key point is {len(text)} characters long "
                f"(at most {KEY_POINT_MAX_LENGTH}): {text[:40]!r}…",
            )
        key_points.points.append(text)
        return True

    def close_key_points(self) -> None:
        key_points, self.key_points = self.key_points, None
        if key_points is not None and not key_points.points:
            raise BankFormatError(
                key_points.start_line, "**Key points:** is not followed by a '- point' list"
            )

    def start_key_points(self, line: int) -> None:
        question = self.require_question(line, "**Key points:**")
        owner: _OpenQuestion | _OpenScenario = question
        if question.scenarios:
            owner = question.scenarios[-1]
            if owner.answer is None:
                raise BankFormatError(
                    line, f"**Key points:** of scenario {owner.label} come before its answer"
                )
        elif question.answer is None:
            raise BankFormatError(
                line, f"**Key points:** of question {question.number} come before its answer"
            )
        if owner.key_points is not None:
            raise BankFormatError(line, "a second **Key points:** list for the same answer")
        owner.key_points = self.key_points = _KeyPoints(start_line=line)

    def is_section_break(self, number: int) -> bool:
        """A `---` line separates categories; inside an answer it is a Markdown rule."""
        for following in self.lines[number:]:
            if following.strip():
                return bool(_CATEGORY.match(following))
        return True

    def start_category(self, number: int, name: str) -> None:
        self.close_question(number)
        if name.lower() == _TABLE_OF_CONTENTS:
            self.in_table_of_contents = True
            return
        self.in_table_of_contents = False
        if name in self.categories:
            raise BankFormatError(number, f"category {name!r} appears twice")
        self.categories.append(name)
        self.category = name

    def start_question(self, line: int, number: int, title: str) -> None:
        self.close_question(line)
        self.in_table_of_contents = False
        if self.category is None:
            raise BankFormatError(line, f"question {number} comes before any '## Category' heading")
        if number in self.first_seen:
            raise BankFormatError(
                line,
                f"duplicate question number {number} "
                f"(first used on line {self.first_seen[number]})",
            )
        self.first_seen[number] = line
        self.question = _OpenQuestion(number=number, category=self.category, title=title, line=line)

    def start_answer(self, line: int, rest: str) -> None:
        question = self.require_question(line, "**Answer:**")
        if question.answer is not None:
            raise BankFormatError(line, f"question {question.number} has a second **Answer:**")
        if question.scenarios:
            raise BankFormatError(
                line, f"question {question.number}'s **Answer:** must come before its scenarios"
            )
        question.answer = _Block(start_line=line, lines=[rest])

    def start_scenario(self, line: int, label: str, rest: str) -> None:
        question = self.require_question(line, f"Scenario Question {label}")
        if question.answer is None:
            raise BankFormatError(
                line, f"scenario {label} comes before question {question.number}'s **Answer:**"
            )
        if not label.startswith(f"{question.number}."):
            raise BankFormatError(
                line, f"scenario {label} does not belong to question {question.number}"
            )
        if any(scenario.label == label for scenario in question.scenarios):
            raise BankFormatError(line, f"scenario {label} appears twice")
        if question.scenarios and question.scenarios[-1].answer is None:
            previous = question.scenarios[-1]
            raise BankFormatError(
                previous.prompt.start_line,
                f"scenario question {previous.label} has no Scenario Answer",
            )
        question.scenarios.append(_OpenScenario(label=label, prompt=_Block(line, [rest])))

    def start_scenario_answer(self, line: int, label: str, rest: str) -> None:
        question = self.require_question(line, f"Scenario Answer {label}")
        open_scenario = question.scenarios[-1] if question.scenarios else None
        if (
            open_scenario is None
            or open_scenario.label != label
            or open_scenario.answer is not None
        ):
            raise BankFormatError(line, f"scenario answer {label} without its scenario question")
        open_scenario.answer = _Block(line, [rest])

    def add_line(self, number: int, line: str) -> None:
        block = self.question.current_block() if self.question else None
        if self.question and self.question.current_key_points() and line.strip():
            raise BankFormatError(
                number, f"unexpected text after the key points: {line[:60]!r} (one '- ' per point)"
            )
        if block is not None:
            block.lines.append(line)
        elif line.strip() and not _RULE.match(line):
            where = f"question {self.question.number}" if self.question else "any question"
            raise BankFormatError(
                number, f"unexpected text outside {where}'s answer: {line[:60]!r}"
            )

    def require_question(self, line: int, what: str) -> _OpenQuestion:
        if self.question is None:
            raise BankFormatError(line, f"{what} is not under a '### N. Title' question heading")
        return self.question

    def close_question(self, line: int) -> None:
        self.close_key_points()
        question, self.question = self.question, None
        if question is None:
            return
        answer = question.answer.text() if question.answer else ""
        if not answer:
            raise BankFormatError(question.line, f"question {question.number} has no answer")
        scenarios = []
        for scenario in question.scenarios:
            prompt = scenario.prompt.text()
            if not prompt:
                raise BankFormatError(
                    scenario.prompt.start_line, f"scenario {scenario.label} has no question text"
                )
            if scenario.answer is None:
                raise BankFormatError(
                    scenario.prompt.start_line,
                    f"scenario question {scenario.label} has no Scenario Answer",
                )
            scenario_answer = scenario.answer.text()
            if not scenario_answer:
                raise BankFormatError(
                    scenario.answer.start_line, f"scenario {scenario.label} has an empty answer"
                )
            scenarios.append(
                ParsedScenario(
                    label=scenario.label,
                    prompt=prompt,
                    answer=scenario_answer,
                    key_points=_points_of(scenario.key_points),
                )
            )
        self.questions.append(
            ParsedQuestion(
                number=question.number,
                category=question.category,
                title=question.title,
                answer=answer,
                scenarios=tuple(scenarios),
                key_points=_points_of(question.key_points),
            )
        )


def _points_of(key_points: _KeyPoints | None) -> tuple[str, ...]:
    return tuple(key_points.points) if key_points else ()


def parse_bank(text: str) -> ParsedBank:
    """Parse bank Markdown; raises `BankFormatError` naming the line of the first problem."""
    return _Parser(text).parse()


def read_bank(path: Path) -> ParsedBank:
    """Read and parse a bank file, which must be UTF-8."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BankFormatError(
            line,
            f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})",
        ) from None
    return parse_bank(text)


def heading_anchor(name: str) -> str:
    """The anchor GitHub gives a heading, for the table of contents links."""
    return re.sub(r"[^\w\- ]", "", name.lower()).replace(" ", "-")


def render_bank(bank: ParsedBank) -> str:
    """Write a bank back to Markdown in the same format `parse_bank` reads."""
    out = [f"# {bank.title}", "", "## Table of Contents"]
    out += [
        f"{index}. [{name}](#{heading_anchor(name)})"
        for index, name in enumerate(bank.categories, 1)
    ]
    by_category: dict[str, list[ParsedQuestion]] = {name: [] for name in bank.categories}
    for question in bank.questions:
        by_category.setdefault(question.category, []).append(question)
    for name, questions in by_category.items():
        out += ["", "---", "", f"## {name}"]
        for question in questions:
            out += [
                "",
                f"### {question.number}. {question.title}",
                f"**Answer:** {question.answer}",
            ]
            out += _render_key_points(question.key_points)
            for scenario in question.scenarios:
                out += ["", f"**Scenario Question {scenario.label}:** {scenario.prompt}"]
                out += ["", f"**Scenario Answer {scenario.label}:** {scenario.answer}"]
                out += _render_key_points(scenario.key_points)
    return "\n".join(out) + "\n"


def _render_key_points(points: tuple[str, ...]) -> list[str]:
    return ["", "**Key points:**", *(f"- {point}" for point in points)] if points else []
