"""Run every benchmark and print its figures; `python -m bench inbox` runs only the inbox one."""

from __future__ import annotations

import sys

from bench import acknowledgements, console_pages, forgot_password, inbox, notices, portal, reports, wording

BENCHMARKS = {
    "console_pages": console_pages.main,
    "inbox": inbox.main,
    "reports": reports.main,
    "portal": portal.main,
    "notices": notices.main,
    "wording": wording.main,
    "forgot_password": forgot_password.main,
    "acknowledgements": acknowledgements.main,
}


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in names or list(BENCHMARKS):
        BENCHMARKS[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
