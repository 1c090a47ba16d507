"""Run every benchmark and print its figures."""

from __future__ import annotations

from bench import console_pages


def main() -> None:
    console_pages.main()


if __name__ == "__main__":
    main()
