"""The deployment files: gunicorn serves the app with deploy/gunicorn.conf.py; the units and the compose file
run commands that exist."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.fixtures.app import SECRET
from tests.fixtures.mailserver import free_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def test_gunicorn_serves_the_app_with_the_deploy_settings(tmp_path, sqlite_template):
    database = tmp_path / "db.sqlite"
    shutil.copy(sqlite_template, database)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "SMTP"))},
        "DADRAS_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{database}",
        "UPLOAD_STORAGE": str(tmp_path / "uploads"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "web:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, "gunicorn stopped"
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        # Every worker answers, each on its own database connections.
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                assert response.status == 200
    finally:
        server.terminate()
        server.wait(20)


def test_the_units_and_the_compose_file_run_commands_that_exist():
    texts = [p.read_text() for p in (DEPLOY / "systemd").glob("*.service")] + [(DEPLOY / "compose.yaml").read_text()]
    used = set()
    for text in texts:
        used |= set(re.findall(r'(?:bin/dadras |\["dadras", ")([\w-]+)', text))
    assert {"worker", "scheduler", "db"} <= used
    from web import create_app

    app = create_app({"ENV": "testing", "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    known = set(app.cli.commands) | {"run"}
    assert used <= known, used - known
