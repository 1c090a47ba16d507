"""How long a tenant's notice wording takes to fill or to be refused: an honest wording, and the hostile ones a
tenant admin could write (nested loops, huge repetitions, doubling texts), each cut by the wording's budget."""

from __future__ import annotations

import time

from services.notifications.templates import WordingError, render
from web import create_app

HONEST = (
    "{{ organization }}: complaint {{ code }} received. Follow it: {{ link }}{% if due %} (by {{ due }}){% endif %}"
)
HOSTILE = {
    "nested ranges": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "'x' * 100000000": "{{ 'x' * 100000000 }}",
    "doubling by ~": "{% set a = 'xxxxxxxxxx' %}" + "{% set a = a ~ a %}" * 40 + "{{ a }}",
    "output past the cap": "{% for a in range(1000) %}{{ 'x' * 1000 }}{% endfor %}",
    "9 ** 9 ** 9": "{{ 9 ** 9 ** 9 }}",
}
VALUES = {"organization": "Clinic", "code": "1234-5678-90128", "link": "https://example.com/t", "due": "Monday"}


def _timed(template: str, times: int) -> tuple[float, str]:
    outcome = "filled"
    began = time.perf_counter()
    for _ in range(times):
        try:
            render("", template, VALUES)
        except WordingError:
            outcome = "refused"
    return (time.perf_counter() - began) / times * 1000, outcome


def main() -> None:
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench-" * 8, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        ms, outcome = _timed(HONEST, 2000)
        print(f"wording: an honest wording {outcome} in {ms:.3f} ms")
        for name, template in HOSTILE.items():
            ms, outcome = _timed(template, 5)
            print(f"wording: {name} {outcome} in {ms:.1f} ms")


if __name__ == "__main__":
    main()
