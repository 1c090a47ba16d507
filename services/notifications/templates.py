"""The wording of notices: a default per event and channel in every language, or the tenant's own.

Defaults are translatable texts with %(name)s placeholders. A tenant's own wording uses {{ name }} and is
rendered in Jinja's sandbox with autoescaping off and only the placeholders below in reach, so a template
cannot call into the server or read anything but what a notice may say.

The same wording is filled in the web processes (the preview, every filing) and the workers, so filling it is
bounded: no other template is reached (include, import, extends), no attribute but a loop's, a short list of
filters, a capped range(), and every loop turn, call and operator counted against one budget of steps and time;
no text, list or number grows past a limit, and the output stops at MAX_OUTPUT characters. Whatever a template
does, it fails fast with a WordingError, never with a stalled worker or a 500.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, filters, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from services.i18n import number
from tenants.errors import Refused

# Channels by the shape of what they carry: e-mail has a subject and room; the rest take a short text.
EMAIL_CHANNELS = frozenset({"email"})

# What every notice may say, and what each placeholder is (shown to the editor of a template).
PLACEHOLDERS: dict[str, Any] = {
    "code": _l("the tracking code"),
    "name": _l("the complainant's name"),
    "organization": _l("your organization's name"),
    "subject": _l("the complaint's subject"),
    "state": _l("where the complaint stands, in plain words"),
    "link": _l("the link to the complaint (for the customer: the tracking page, signed in)"),
    "due": _l("the next due date, in the reader's calendar"),
    "message": _l("the message or answer, where the event has one"),
    "one_time_code": _l("the one-time code, in verification notices"),
}


@dataclass(frozen=True)
class Wording:
    subject: Any  # a lazy text with %(name)s placeholders ("" for short channels)
    body: Any
    short: Any  # for SMS and messengers


# Customer events, then staff events. Each text is translated; placeholders stay as they are.
DEFAULTS: dict[str, Wording] = {
    "registered": Wording(
        _l("Complaint %(code)s received"),
        _l(
            "Dear %(name)s,\n\n%(organization)s has received your complaint. Its tracking code is %(code)s.\n"
            "Follow it, add to it or answer us here: %(link)s\n\nWe will answer by %(due)s. Filing a complaint "
            "costs nothing."
        ),
        _l("%(organization)s: complaint received, code %(code)s. Follow it: %(link)s"),
    ),
    "verification_code": Wording(
        _l("Your one-time code: %(one_time_code)s"),
        _l(
            "Your one-time code for complaint %(code)s is %(one_time_code)s. It works for 10 minutes.\n\n"
            "If you did not ask for it, ignore this message."
        ),
        _l("%(organization)s: your one-time code is %(one_time_code)s (complaint %(code)s)."),
    ),
    "staff_message": Wording(
        _l("A message about your complaint %(code)s"),
        _l(
            "Dear %(name)s,\n\n%(organization)s has written to you about complaint %(code)s:\n\n%(message)s\n\n"
            "Read it and reply here: %(link)s"
        ),
        _l("%(organization)s wrote to you about complaint %(code)s. Read it and reply: %(link)s"),
    ),
    "responded": Wording(
        _l("Our answer to your complaint %(code)s"),
        _l(
            "Dear %(name)s,\n\nWe have answered your complaint %(code)s:\n\n%(message)s\n\nIf the answer settles "
            "it, accept it; if not, tell us why and we will look again: %(link)s"
        ),
        _l("%(organization)s answered complaint %(code)s. Read it and tell us if it settles it: %(link)s"),
    ),
    "reopened": Wording(
        _l("We are looking at your complaint %(code)s again"),
        _l(
            "Dear %(name)s,\n\nYou told us our answer did not settle complaint %(code)s, so we are looking at it "
            "again. We will answer by %(due)s.\n\nFollow it here: %(link)s"
        ),
        _l("%(organization)s is looking at complaint %(code)s again. Follow it: %(link)s"),
    ),
    "closed": Wording(
        _l("Your complaint %(code)s is closed"),
        _l(
            "Dear %(name)s,\n\nComplaint %(code)s is closed. Tell us how we handled it; it takes a minute: "
            "%(link)s\n\nThank you for telling us."
        ),
        _l("%(organization)s closed complaint %(code)s. How did we do? %(link)s"),
    ),
    "closing_soon": Wording(
        _l("Does our answer to complaint %(code)s settle it?"),
        _l(
            "Dear %(name)s,\n\nWe answered your complaint %(code)s and have not heard from you. If the answer does "
            "not settle it, tell us here, and we will look again: %(link)s\n\nOtherwise we will close the "
            "complaint in a few days."
        ),
        _l("%(organization)s: does our answer to complaint %(code)s settle it? Tell us, or it closes soon: %(link)s"),
    ),
    "rating_reminder": Wording(
        _l("How did we handle complaint %(code)s?"),
        _l(
            "Dear %(name)s,\n\nComplaint %(code)s is closed, and we would still like to hear how we handled it. "
            "Rating it takes a minute and helps us do better: %(link)s\n\nThank you."
        ),
        _l("%(organization)s: how did we handle complaint %(code)s? %(link)s"),
    ),
    "assigned": Wording(
        _l("Complaint %(code)s is assigned to you"),
        _l("Complaint %(code)s (%(subject)s) is now yours. Next due: %(due)s.\n\n%(link)s"),
        _l("Complaint %(code)s is assigned to you: %(link)s"),
    ),
    "assigned_unit": Wording(
        _l("Complaint %(code)s is assigned to your unit"),
        _l("Complaint %(code)s (%(subject)s) is assigned to your unit, with no handler yet. Due: %(due)s.\n\n%(link)s"),
        _l("Complaint %(code)s is assigned to your unit: %(link)s"),
    ),
    "new_complaint": Wording(
        _l("New complaint %(code)s"),
        _l(
            "A new complaint has arrived: %(code)s (%(subject)s), from %(name)s. Nobody handles it yet.\n"
            "Due: %(due)s.\n\n%(link)s"
        ),
        _l("New complaint %(code)s: %(link)s"),
    ),
    "decision_pending": Wording(
        _l("The decision on complaint %(code)s awaits your approval"),
        _l(
            "A decision on complaint %(code)s (%(subject)s) was recorded and awaits approval; the answer cannot go "
            "out before it.\n\n%(link)s"
        ),
        _l("The decision on complaint %(code)s awaits approval: %(link)s"),
    ),
    "unassigned_reply": Wording(
        _l("The customer added to complaint %(code)s, which nobody handles yet"),
        _l(
            "The customer added a message or a file to complaint %(code)s (%(subject)s). The complaint has no "
            "handler yet.\n\n%(link)s"
        ),
        _l("The customer added to complaint %(code)s, which has no handler: %(link)s"),
    ),
    "customer_replied": Wording(
        _l("The customer added to complaint %(code)s"),
        _l("The customer added a message or a file to complaint %(code)s (%(subject)s).\n\n%(link)s"),
        _l("The customer added to complaint %(code)s: %(link)s"),
    ),
    "customer_accepted": Wording(
        _l("The customer accepted the answer to complaint %(code)s"),
        _l("The customer accepted the answer to complaint %(code)s (%(subject)s); it is closed.\n\n%(link)s"),
        _l("The customer accepted the answer to complaint %(code)s."),
    ),
    "customer_rejected": Wording(
        _l("The customer rejected the answer to complaint %(code)s"),
        _l(
            "The customer rejected the answer to complaint %(code)s (%(subject)s); it is back in investigation. "
            "Next due: %(due)s.\n\n%(link)s"
        ),
        _l("The customer rejected the answer to complaint %(code)s: %(link)s"),
    ),
    "customer_withdrew": Wording(
        _l("The customer withdrew complaint %(code)s"),
        _l("The customer withdrew complaint %(code)s (%(subject)s); nothing more is to be done on it.\n\n%(link)s"),
        _l("The customer withdrew complaint %(code)s."),
    ),
    "deadline_near": Wording(
        _l("Complaint %(code)s is due soon"),
        _l("Complaint %(code)s (%(subject)s) is due %(due)s. It stands at: %(state)s.\n\n%(link)s"),
        _l("Complaint %(code)s is due %(due)s: %(link)s"),
    ),
    "deadline_passed": Wording(
        _l("Complaint %(code)s is overdue"),
        _l("Complaint %(code)s (%(subject)s) was due %(due)s and is still open. It stands at: %(state)s.\n\n%(link)s"),
        _l("Complaint %(code)s is overdue: %(link)s"),
    ),
    "escalated": Wording(
        _l("Complaint %(code)s is escalated to you"),
        _l(
            "Complaint %(code)s (%(subject)s) is escalated to you. It stands at: %(state)s; next due: %(due)s.\n\n"
            "%(link)s"
        ),
        _l("Complaint %(code)s is escalated to you: %(link)s"),
    ),
}

EVENTS = tuple(DEFAULTS)
_PERCENT = re.compile(r"%\((\w+)\)s")

# What filling one template may cost. A notice is short; these are far above any honest wording.
MAX_OUTPUT = 20_000  # characters of a filled subject or text
MAX_VALUE = MAX_OUTPUT  # characters of a text, or items of a list, built while filling
MAX_NUMBER_BITS = 256  # a number computed while filling
MAX_RANGE = 1_000  # items of one range()
MAX_STEPS = 20_000  # loop turns, calls and operators of one filling
MAX_SECONDS = 0.5


class WordingError(Refused):
    """A tenant's template that does not render: the message says where."""


class _TooCostly(SecurityError):
    """Filling the template went past its budget: it is stopped, not finished."""


class _NotAllowed(TemplateSyntaxError):
    """A part of Jinja that notices do not offer; refused before anything runs."""


class _Budget:
    """Steps and time left to one filling; every counted step checks both."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.steps = 0

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS or time.monotonic() > self.deadline:
            raise _TooCostly("the template takes too much work to fill")


_budget: ContextVar[_Budget | None] = ContextVar("dadras_wording_budget", default=None)


def _step() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.step()


def _sized(value: Any) -> Any:
    """`value`, unless it is a text, list or number past the limits."""
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and len(value) > MAX_VALUE:
        raise _TooCostly("a value grows too large")
    if isinstance(value, int) and value.bit_length() > MAX_NUMBER_BITS:
        raise _TooCostly("a number grows too large")
    return value


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    """A loop's items, each turn counted against the budget."""
    for item in items:
        _step()
        yield item


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise _TooCostly("range() is too long")
    return numbers


def _guarded_filter(func: Any) -> Any:
    """A filter whose numeric arguments stay small and whose result stays within the limits."""

    # The filtered value comes first, after the environment or context for a filter that takes one.
    skip = 2 if hasattr(func, "jinja_pass_arg") else 1

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        for arg in (*args[skip:], *kwargs.values()):
            if isinstance(arg, (int, float)) and not isinstance(arg, bool) and abs(arg) > MAX_VALUE:
                raise _TooCostly("a filter's argument is too large")
        return _sized(func(*args, **kwargs))

    for attribute in ("jinja_pass_arg",):  # how Jinja knows to hand the environment or context first
        if hasattr(func, attribute):
            setattr(guarded, attribute, getattr(func, attribute))
    return guarded


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    times = (len(text) + 1 if not old else text.count(old)) if count is None else count
    if len(text) + times * len(new) > MAX_VALUE:
        raise _TooCostly("replace() makes the text too long")
    return text.replace(old, new, -1 if count is None else count)


def _join(value: Iterable[Any], separator: Any = "") -> str:
    return _NoticeSandbox.join_values(_interleave(value, str(separator)))


def _interleave(items: Iterable[Any], separator: str) -> Iterator[Any]:
    for index, item in enumerate(items):
        if index and separator:
            yield separator
        yield item


# The filters a notice may use: text and number shaping whose cost is bounded by its input.
_FILTERS = {
    name: _guarded_filter(filters.FILTERS[name])
    for name in (
        *("abs", "capitalize", "count", "default", "d", "first", "float", "int", "last", "length", "lower"),
        *("max", "min", "reverse", "round", "sort", "string", "striptags", "sum", "title", "trim", "truncate"),
        *("unique", "upper", "wordcount"),
    )
} | {"replace": _guarded_filter(_replace), "join": _guarded_filter(_join)}
_LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0", "previtem"}
    | {"nextitem", "cycle", "changed"}
)
_COUNTED = "_dadras_counted"
_TEMPLATES_REFUSED = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


class _NoticeGenerator(CodeGenerator):
    """Jinja's code generator, but `a ~ b` joins through the environment, which counts and limits it."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 - Jinja's name
        self.write("environment.join_values((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _NoticeSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with every cost a template can run up counted and limited."""

    code_generator_class = _NoticeGenerator
    intercepted_binops = frozenset({"+", "*", "**", "%", "//", "/"})

    def __init__(self) -> None:
        super().__init__(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
        self.globals = {"range": _range, _COUNTED: _counted}
        self.filters = dict(_FILTERS)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for node in tree.find_all((*_TEMPLATES_REFUSED, nodes.Macro, nodes.CallBlock, nodes.For, nodes.Filter)):
            if isinstance(node, _TEMPLATES_REFUSED):
                raise _NotAllowed(
                    _("A notice cannot include, import or extend another template: write all of its text here."),
                    node.lineno,
                )
            if isinstance(node, (nodes.Macro, nodes.CallBlock)) or (isinstance(node, nodes.For) and node.recursive):
                raise _NotAllowed(_("A notice cannot define macros or loop recursively."), node.lineno)
            if isinstance(node, nodes.Filter) and node.name not in self.filters:
                raise _NotAllowed(_("There is no filter called %(name)s.", name=node.name), node.lineno)
            if isinstance(node, nodes.For):
                node.iter = nodes.Call(nodes.Name(_COUNTED, "load"), [node.iter], [], None, None, lineno=node.lineno)
        tree.set_environment(self)
        return tree

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # A placeholder is text: its methods (format, center, ljust…) are out of reach; a loop tells its place.
        return isinstance(obj, LoopContext) and attr in _LOOP_ATTRIBUTES

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _step()
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _step()
        if operator == "%" and isinstance(left, str):
            raise _TooCostly("formatting with % is not offered")
        numbers = all(isinstance(x, int) for x in (left, right))
        if operator == "*":
            sized = [x for x in (left, right) if isinstance(x, (str, list, tuple))]
            times = [x for x in (left, right) if isinstance(x, int)]
            if sized and times and len(sized[0]) * max(times[0], 0) > MAX_VALUE:
                raise _TooCostly("a repetition grows too large")
            if numbers and left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
                raise _TooCostly("a number grows too large")
        if operator == "**" and isinstance(right, (int, float)):
            base = abs(left).bit_length() if isinstance(left, int) else 64
            if right > 0 and base * right > MAX_NUMBER_BITS:
                raise _TooCostly("a power grows too large")
        sequences = all(isinstance(x, (str, list, tuple)) for x in (left, right))
        if operator == "+" and sequences and len(left) + len(right) > MAX_VALUE:
            raise _TooCostly("a value grows too large")
        return _sized(self.binop_table[operator](left, right))

    @staticmethod
    def join_values(values: Iterable[Any]) -> str:
        """`a ~ b ~ …`, counted and limited."""
        parts, size = [], 0
        for value in values:
            _step()
            text = str(value)
            size += len(text)
            if size > MAX_VALUE:
                raise _TooCostly("a text grows too large")
            parts.append(text)
        return "".join(parts)

    concat = join_values  # block sets, filter blocks: the same limit


_env = _NoticeSandbox()
_TOO_MUCH = _l("This template takes too much work to fill: use fewer loops, repetitions and large numbers.")


RTL_LOCALES = frozenset({"fa"})


def shown_code(code: str, locale: str) -> str:
    """A formatted tracking code as text in `locale`: in right-to-left text, isolated left-to-right so that its
    groups keep their order (1234-5678-90128, not 90128-5678-1234)."""
    return f"\u2066{code}\u2069" if locale in RTL_LOCALES else code


def as_template(text: str) -> str:
    """A default text in the editor's syntax: %(code)s becomes {{ code }}."""
    return _PERCENT.sub(lambda m: "{{ " + m.group(1) + " }}", text)


def default_wording(event: str, channel: str, locale: str) -> tuple[str, str]:
    """(subject, body) of the default, in `locale`, as templates."""
    wording = DEFAULTS[event]
    with force_locale(locale):
        if channel in EMAIL_CHANNELS:
            return as_template(str(wording.subject)), as_template(str(wording.body))
        return "", as_template(str(wording.short))


@lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    """The template of `text`, compiled once per process (a wording is filled for every notice)."""
    return _env.from_string(text)


def _refusal(exc: BaseException) -> WordingError:
    """The editor's words for why a template does not fill."""
    if isinstance(exc, _NotAllowed):
        return WordingError(exc.message)
    if isinstance(exc, (_TooCostly, RecursionError, MemoryError, OverflowError)):
        return WordingError(_TOO_MUCH)
    if isinstance(exc, TemplateError):
        return WordingError(_("This template has a mistake: %(error)s", error=exc.message or str(exc)))
    return WordingError(_("This template has a mistake: %(error)s", error=str(exc) or type(exc).__name__))


def _fill(text: str, context: dict[str, str]) -> str:
    """`text` filled within one budget, cut short past MAX_OUTPUT characters."""
    token = _budget.set(_Budget())
    try:
        parts, size = [], 0
        for chunk in _compiled(text).generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise WordingError(_("This template makes a text longer than %(n)s characters.", n=number(MAX_OUTPUT)))
            _step()
            parts.append(chunk)
        return "".join(parts)
    except WordingError:
        raise
    except Exception as exc:  # whatever a tenant's template does, it is refused, never a 500
        raise _refusal(exc) from exc
    finally:
        _budget.reset(token)


# What check_template fills a template with: each placeholder as long as a real one might be.
_SAMPLE = {name: "Sample " + name.replace("_", " ") for name in PLACEHOLDERS}


def check_template(text: str) -> None:
    """Refuse a template that does not parse, names a placeholder that does not exist, uses what notices do not
    offer, or does not fill within the limits."""
    try:
        parsed = _env.parse(text)
        _compiled(text)  # unknown filters and tests are found only by compiling
    except Exception as exc:  # a refusal, whatever broke
        raise _refusal(exc) from exc
    from jinja2 import meta

    unknown = sorted(meta.find_undeclared_variables(parsed) - set(PLACEHOLDERS))
    if unknown:
        raise WordingError(_("There is no placeholder called %(names)s.", names=", ".join(unknown)))
    _fill(text, _SAMPLE)


def render(subject: str, body: str, values: dict[str, str]) -> tuple[str, str]:
    """Fill a (subject, body) template pair in the sandbox; a WordingError for one that does not fill."""
    context = {name: values.get(name, "") for name in PLACEHOLDERS}
    return (
        " ".join(_fill(subject, context).split()) if subject else "",
        _fill(body, context).strip(),
    )
