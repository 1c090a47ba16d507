"""Unbound extensions, bound in create_app with init_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
