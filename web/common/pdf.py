"""Printed records: an HTML page of ours turned into an A4 PDF by WeasyPrint, with the vendored fonts.

The page may fetch nothing but the application's own static files and inline `data:` images: a record carries
what customers typed, and a renderer that followed any address in it would reach inside our network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, url_for


def _static_root() -> Path:
    return Path(current_app.static_folder or "").resolve()


def static_file_url(filename: str, *, for_pdf: bool) -> str:
    """A static file's address: the page's own for the browser, a file URL for the PDF renderer."""
    if for_pdf:
        return (_static_root() / filename).as_uri()
    return url_for("static", filename=filename)


def _fetcher(root: Path) -> Any:
    from weasyprint import URLFetcher

    class StaticOnly(URLFetcher):
        """Inline data, and the files under the static folder; anything else is refused (and left out)."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("file://"):
                path = Path(url.removeprefix("file://").split("?")[0]).resolve()
                if not (path.is_relative_to(root) and path.is_file()):
                    raise ValueError(f"not fetched for a printed record: {url[:80]}")
                url = path.as_uri()
            return super().fetch(url, headers)

    return StaticOnly(allowed_protocols=("file", "data"), allow_redirects=False)


def render_pdf(html: str) -> bytes:
    """The page as a PDF (A4 and the margins its own @page rule sets)."""
    from weasyprint import HTML

    root = _static_root()
    return HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=_fetcher(root)).write_pdf()
