"""Filling the wording of notices, the tenant's own or the defaults (services.notifications.defaults), and checking
a tenant's before it is kept.

A wording uses {{ name }} placeholders and is rendered in Jinja's sandbox with autoescaping off and only the
placeholders below in reach, so a template cannot call into the server or read anything but what a notice may say.

The same wording is filled in the web processes (the preview, every filing) and the workers, so filling it is
bounded: no other template is reached (include, import, extends), no attribute but a loop's, a short list of
filters, a capped range(), and every loop turn, call and operator counted against one budget of steps and time;
no text, list or number grows past a limit, and the output stops at MAX_OUTPUT characters. Whatever a template
does, it fails fast with a WordingError, never with a stalled worker or a 500.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, filters, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from services.i18n import number
from tenants.errors import Refused

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
