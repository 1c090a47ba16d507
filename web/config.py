"""Settings from the environment, with overrides for tests, validated once at the end of create_app."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the app refuses to start."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret(instance_path: Path) -> str:
    """A per-checkout secret for development, kept under instance/ so sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(url: str) -> str:
    """A PostgreSQL URL with no driver named gets psycopg 3, the driver installed."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every setting the app reads. Environment variables are documented in .env.example."""
    env = os.environ
    overrides = overrides or {}
    environment = overrides.get("ENV", env.get("DADRAS_ENV", "development"))
    redis_url = overrides.get("REDIS_URL", env.get("REDIS_URL") or None)
    default_db = f"sqlite:///{instance_path / 'dadras.sqlite'}"
    config: dict[str, Any] = {
        "ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", default_db),
        "MIGRATION_DATABASE_URL": env.get("MIGRATION_DATABASE_URL"),
        "DATABASE_APP_ROLE": env.get("DATABASE_APP_ROLE", "dadras_app"),
        # `dadras backup` and `dadras restore`: a superuser (or, for backups only, a role with BYPASSRLS).
        "BACKUP_DATABASE_URL": env.get("BACKUP_DATABASE_URL"),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # A pooled connection idle this long is pinged before use (tenants/pool.py); fresher ones are not.
        "DATABASE_PING_AFTER": float(env.get("DATABASE_PING_AFTER", "10")),
        # PostgreSQL that is away or stalled fails a request within seconds: connecting gives up after
        # DATABASE_CONNECT_TIMEOUT (at least 2), the server cancels a statement after DATABASE_STATEMENT_TIMEOUT and
        # the app stops waiting for an answer DATABASE_CONNECT_TIMEOUT later; a request waits at most
        # DATABASE_POOL_TIMEOUT for a free pooled connection. Pages then answer 503 with Retry-After of
        # DATABASE_RETRY_AFTER seconds.
        "DATABASE_CONNECT_TIMEOUT": float(env.get("DATABASE_CONNECT_TIMEOUT", "5")),
        "DATABASE_STATEMENT_TIMEOUT": float(env.get("DATABASE_STATEMENT_TIMEOUT", "20")),
        "DATABASE_POOL_TIMEOUT": float(env.get("DATABASE_POOL_TIMEOUT", "10")),
        "DATABASE_RETRY_AFTER": int(env.get("DATABASE_RETRY_AFTER", "30")),
        "REDIS_URL": redis_url,
        # Seconds a web request waits on Redis (limits, enqueues) before going on without it.
        "REDIS_TIMEOUT": float(env.get("REDIS_TIMEOUT", "0.5")),
        # A worker or the scheduler that loses Redis asks again after 0.5 s, then twice as long each time, at most
        # this many seconds apart.
        "REDIS_RETRY_MAX_SECONDS": float(env.get("REDIS_RETRY_MAX_SECONDS", "15")),
        # One scheduler enqueues at a time (a key in Redis it renews); another takes over within this many
        # seconds, and a third of that, of the first one's death.
        "SCHEDULER_LOCK_SECONDS": float(env.get("SCHEDULER_LOCK_SECONDS", "20")),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": "dadras-limits",
        "RATELIMITS": {
            # Log-ins: an account's failures (counted as they arrive) and an address's slow the answer down
            # (LOGIN_SLOWDOWN_*), never lock the account; an address's attempts, successes included, have a ceiling.
            "login_account": env.get("LOGIN_FAILURES_COUNTED_PER_ACCOUNT", "1000/15 minutes"),
            "login_ip_failed": env.get("LOGIN_FAILURES_COUNTED_PER_IP", "1000/15 minutes"),
            "login_ip": env.get("LOGIN_LIMIT_PER_IP", "60/15 minutes"),
            # Wrong second-factor codes (app or recovery) of one staff member; past it, none is tried for a while.
            "second_factor": env.get("SECOND_FACTOR_FAILURES_PER_ACCOUNT", "5/15 minutes"),
            "reset_request": env.get("RESET_LIMIT_PER_IP", "10/hour"),
            # Sign-up by one visitor, and invitations sent by one organization.
            "signup_ip": env.get("SIGNUP_LIMIT_PER_IP", "3/hour"),
            "signup_ip_day": env.get("SIGNUP_LIMIT_PER_IP_PER_DAY", "10/day"),
            "invitations_tenant": env.get("INVITATION_LIMIT_PER_ORGANIZATION", "20/day"),
            # The portal: a stranger's lookups by visitor and of one code, one-time codes sent and tried per
            # complaint, complaints filed by a visitor and to one organization. A proven complainant reading or
            # answering their own complaint is never counted.
            "portal_track_ip": env.get("PORTAL_TRACK_LIMIT_PER_IP", "60/10 minutes"),
            "portal_track_code": env.get("PORTAL_TRACK_LIMIT_PER_CODE", "30/10 minutes"),
            "portal_proof_send": env.get("PORTAL_PROOF_SEND_LIMIT", "3/15 minutes"),
            "portal_proof_send_day": env.get("PORTAL_PROOF_SEND_LIMIT_PER_DAY", "6/day"),
            "portal_proof_send_ip": env.get("PORTAL_PROOF_SEND_LIMIT_PER_IP", "10/hour"),
            # Wrong one-time codes cost the visitor who types them; this many wrong tries void the code sent
            # (the window outlives the code), so that a new one must be asked for.
            "portal_verify_ip": env.get("PORTAL_VERIFY_LIMIT_PER_IP", "30/hour"),
            "portal_proof_wrong": env.get("PORTAL_WRONG_CODES_PER_CODE", "5/hour"),
            "portal_file_sum_ip": env.get("PORTAL_FILE_LIMIT_WITHOUT_SCRIPT", "3/hour"),
            "portal_file_ip": env.get("PORTAL_FILE_LIMIT_PER_IP", "10/hour"),
            "portal_file_tenant": env.get("PORTAL_FILE_LIMIT_PER_TENANT", "600/hour"),
            # Complaints registered by one messenger chat or one texting number.
            "chat_filing": env.get("CHAT_FILING_LIMIT", "5/day"),
            # `/status` lookups by one messenger chat or one texting number.
            "chat_status": env.get("CHAT_STATUS_LIMIT", "10/10 minutes"),
            # A solved proof of work or sum is good for one form.
            "portal_once": "1/hour",
        },
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_BACKEND": env.get("MAIL_BACKEND") or ("smtp" if env.get("SMTP_URL") else "console"),
        "SMTP_URL": env.get("SMTP_URL", "smtp://127.0.0.1:25"),
        "MAIL_FROM": env.get("MAIL_FROM", "Dadras <no-reply@dadras.local>"),
        # Text messages: "console" writes them to the log (development); unset, only tenants' gateways send.
        # The key that seals the tenants' gateway credentials (a Fernet key); unset: derived from SECRET_KEY.
        "CREDENTIALS_KEY": env.get("CREDENTIALS_KEY") or None,
        # Where the Telegram-compatible Bot APIs live (another address for a proxy or a local test server).
        "BOT_API_URLS": {
            "telegram": env.get("TELEGRAM_API_URL", "https://api.telegram.org"),
            "bale": env.get("BALE_API_URL", "https://tapi.bale.ai"),
        },
        # Rubika's Bot API, Eitaayar's and WhatsApp's Cloud API (a proxy in between, or a test server).
        "MESSENGER_API_URLS": {
            "rubika": env.get("RUBIKA_API_URL", "https://botapi.rubika.ir/v3"),
            "eitaa": env.get("EITAA_API_URL", "https://eitaayar.ir/api"),
            "whatsapp": env.get("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0"),
        },
        "SMS_BACKEND": env.get("SMS_BACKEND", "console" if environment == "development" else ""),
        # The organizations' webhooks, gateways, mail servers and mailboxes are reached only at public addresses;
        # an on-premises installation names the internal hosts, addresses or networks they may reach.
        "CONNECTIONS_ALLOW_HOSTS": tuple(
            host.strip() for host in env.get("CONNECTIONS_ALLOW_HOSTS", "").split(",") if host.strip()
        ),
        # Notices: the first retry after NOTICE_RETRY_SECONDS, each next one four times later, at most
        # NOTICE_MAX_ATTEMPTS attempts; a worker holds a notice NOTICE_LEASE_SECONDS; the relay runs every
        # NOTICE_RELAY_SECONDS.
        "NOTICE_RETRY_SECONDS": float(env.get("NOTICE_RETRY_SECONDS", "30")),
        "NOTICE_MAX_ATTEMPTS": int(env.get("NOTICE_MAX_ATTEMPTS", "6")),
        "NOTICE_LEASE_SECONDS": float(env.get("NOTICE_LEASE_SECONDS", "120")),
        "NOTICE_RELAY_SECONDS": int(env.get("NOTICE_RELAY_SECONDS", "15")),
        # Notices of one tenant go to a worker this many at a time (one job, one mail connection).
        "NOTICE_BATCH": int(env.get("NOTICE_BATCH", "50")),
        # The deadline and escalation sweep runs this often.
        "SWEEP_SECONDS": int(env.get("SWEEP_SECONDS", "60")),
        # Answered complaints nobody reacted to are closed, unrated ones reminded: checked this often.
        "FOLLOW_UP_SECONDS": int(env.get("FOLLOW_UP_SECONDS", "3600")),
        "RETENTION_SECONDS": int(env.get("RETENTION_SECONDS", "3600")),
        "REPORT_MAIL_SECONDS": int(env.get("REPORT_MAIL_SECONDS", "900")),
        # The organizations' mailboxes (IMAP) are read this often, at most this many mails at a time.
        "MAIL_POLL_SECONDS": int(env.get("MAIL_POLL_SECONDS", "60")),
        "MAIL_POLL_BATCH": int(env.get("MAIL_POLL_BATCH", "50")),
        "MAIL_FILE_DIR": env.get("MAIL_FILE_DIR", str(instance_path / "mail")),
        # After this many failed log-ins of an account or from an address, the next attempt is taken only 1, 2, 4 …
        # seconds after the last (at most LOGIN_SLOWDOWN_MAX_SECONDS), a sooner one refused at once: a guesser
        # slows down, the owner still gets in, and no web worker sleeps.
        "LOGIN_SLOWDOWN_AFTER": int(env.get("LOGIN_SLOWDOWN_AFTER", 3)),
        "LOGIN_SLOWDOWN_MAX_SECONDS": float(env.get("LOGIN_SLOWDOWN_MAX_SECONDS", 16)),
        "INVITATION_TTL_SECONDS": int(env.get("INVITATION_TTL_SECONDS", 7 * 24 * 3600)),
        "PASSWORD_RESET_TTL_SECONDS": int(env.get("PASSWORD_RESET_TTL_SECONDS", 3600)),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), environment == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "dadras_session",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), environment == "production"),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
        # A whole request: a complaint with its files (each file and each complaint has its own limit too).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 64 * 1024 * 1024)),
        # Where attachments are kept: outside the web root, under random names.
        "UPLOAD_STORAGE": env.get("UPLOAD_STORAGE", str(instance_path / "uploads")),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "TRUSTED_PROXY_COUNT": int(env.get("TRUSTED_PROXY_COUNT", 0)),
    }
    # Overridden limits replace those named; the others keep their defaults.
    limits = {**config["RATELIMITS"], **overrides.get("RATELIMITS", {})}
    config.update(overrides)
    config["RATELIMITS"] = limits
    config["SQLALCHEMY_DATABASE_URI"] = database_url(config["SQLALCHEMY_DATABASE_URI"])
    pooled = "poolclass" not in config["SQLALCHEMY_ENGINE_OPTIONS"]  # a NullPool (or another) takes no pool_timeout
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and pooled:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_timeout": config["DATABASE_POOL_TIMEOUT"],
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    for key in ("MIGRATION_DATABASE_URL", "BACKUP_DATABASE_URL"):
        if config[key]:
            config[key] = database_url(config[key])
    if config["ENV"] != "production" and not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _dev_secret(instance_path)
    return config


def validate(config: dict[str, Any]) -> None:
    """Refuse to start on settings that would run the app unsafely or not at all."""
    if config["ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"DADRAS_ENV must be one of {', '.join(ENVIRONMENTS)}")
    if not config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is required outside development")
    if config["ENV"] == "production" and len(config["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production")
    if config["SMS_BACKEND"] not in {"", "console", "memory"}:
        raise ConfigError("SMS_BACKEND must be console, memory or empty")
    if config["MAIL_BACKEND"] not in {"smtp", "console", "file", "memory"}:
        raise ConfigError("MAIL_BACKEND must be smtp, console, file or memory")
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith(("sqlite:", "postgresql")):
        raise ConfigError("DATABASE_URL must be an sqlite:// or postgresql:// URL")
