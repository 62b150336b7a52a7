"""Configuration defaults.

Layers, later wins: these defaults → ``instance/config.py`` → environment
(``DATABASE_URL``, ``SECRET_KEY``, any ``OTKLIK_*``) → overrides given to ``create_app``.
"""

from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context


class DefaultConfig:
    # Database: None means the embedded SQLite file instance/otklik.db.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 15000
    SQLITE_JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
    CHECK_DATABASE_ON_START = True

    # Secret key: None means "read or create instance/secret_key".
    SECRET_KEY: str | None = None

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (OTKLIK_SESSION_COOKIE_SECURE=true)
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)  # idle timeout for staff
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    BEHIND_HTTPS = False  # enables HSTS and secure cookies

    # Authentication.
    PASSWORD_MIN_LENGTH = 10
    # Sign-in throttling per (e-mail, client address): this many failures in a row from one address are
    # free, then each failure refuses that address for a growing delay (base × 2ⁿ, capped). The account
    # as a whole is locked for LOGIN_LOCKOUT_MINUTES only after LOGIN_ACCOUNT_LOCK_FAILURES failures
    # from LOGIN_ACCOUNT_LOCK_ADDRESSES or more addresses within the window, and never for an address
    # the account signed in from before.
    LOGIN_MAX_FAILURES = 5
    LOGIN_DELAY_BASE_SECONDS = 30
    LOGIN_DELAY_MAX_SECONDS = 900
    LOGIN_ACCOUNT_LOCK_FAILURES = 50
    LOGIN_ACCOUNT_LOCK_ADDRESSES = 5
    LOGIN_ACCOUNT_LOCK_WINDOW_MINUTES = 60
    LOGIN_LOCKOUT_MINUTES = 15
    LOGIN_KNOWN_ADDRESS_DAYS = 90  # an address the account signed in from counts as known this long

    # Number of reverse proxies in front of the app that append to X-Forwarded-For (0: none, the header
    # is ignored). With N > 0 Werkzeug's ProxyFix takes the client address N hops back.
    TRUSTED_PROXIES = 0

    # Limits.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    MAX_FORM_PARTS = 1000
    XLSX_MAX_UNCOMPRESSED_MB = 20  # imports: an XLSX file's unpacked size (a zip bomb is tiny on disk)
    XLSX_MAX_ROWS = 100_000  # imports: rows of an XLSX sheet
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Per IP; phones behind a carrier's shared address post one form per survey page.
    RATELIMIT_PUBLIC_SUBMIT = "120 per minute"
    RATELIMIT_KIOSK_SUBMIT = "600 per minute"  # per kiosk device token
    RATELIMIT_KIOSK_IP_SUBMIT = "1200 per minute"  # per address, all kiosk survey posts from it

    # Locale.
    BABEL_DEFAULT_LOCALE = "ru"
    DEFAULT_CENTER_TIMEZONE = "Europe/Moscow"  # a centre's time zone unless it has its own; dates of reports
    BABEL_DEFAULT_TIMEZONE = DEFAULT_CENTER_TIMEZONE
    LANGUAGES = ("ru", "en")

    # Forms.
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Kiosks may be framed only by these origins (CSP frame-ancestors).
    KIOSK_FRAME_ANCESTORS: tuple[str, ...] = ()

    # Analysis.
    ANALYSIS_MIN_N = 30
    ANALYSIS_CONFIDENCE = 0.95

    # Mail: no host means answers wait on the status page.
    MAIL_HOST: str | None = None
    MAIL_PORT = 25
    MAIL_FROM = "otklik@localhost"
    # SMS for booking reminders and closures: a URL template with {phone} and {text} (URL-encoded in),
    # requested with GET; empty means no SMS. The token, when set, goes as «Authorization: Bearer …».
    SMS_GATEWAY_URL = ""
    SMS_GATEWAY_TOKEN = ""
    SMS_GATEWAY_TIMEOUT = 10

    # Company shown on public pages and report headers.
    COMPANY_NAME = "ПАО «МРСК Центра»"
    # Where customers reach the app (e.g. https://otklik.example.ru): links in QR codes, posters, e-mails, the
    # kiosk receipt. None: pages use the scheme and host of the request; e-mails and the CLI then need it
    # (app/urls.py). `make run` sets it from HOST and PORT.
    PUBLIC_BASE_URL: str | None = None

    # Analysis: composite ranking weights (components scaled 0–100) and targets for recommendations.
    ANALYSIS_RANK_WEIGHTS = {"top2box": 0.4, "nps": 0.2, "complaints": 0.15, "on_time": 0.15, "promises": 0.1}
    ANALYSIS_TARGET_ON_TIME = 0.95
    ANALYSIS_TARGET_PROMISES = 0.9
    ANALYSIS_SAMPLE_CAP = 20_000  # systematic sample of complete cases for drivers and reliability
    ANALYSIS_EFFECT_WINDOW_DAYS = 90
    ANALYSIS_MAX_RECOMMENDATIONS = 50
    ANALYSIS_PDF_RECOMMENDATIONS = 10  # shown in the PDF's actions table; the rest go to the appendix
    # Smallest gap worth acting on, per measure: shares 0–1, mean score points, NPS points, complaint share.
    ANALYSIS_MIN_EFFECT = {"share": 0.05, "mean": 0.2, "nps": 5, "complaints": 0.02}

    # Review book and kiosks.
    REVIEW_KIND_MAP = {
        "complaint": "complaint",
        "suggestion": "application",
        "gratitude": "application",
        "question": "application",
    }
    REVIEW_DUPLICATE_WINDOW_SECONDS = 600
    REVIEW_STATUS_RATELIMIT = "20 per minute"
    KB_SEARCH_RATELIMIT = "60 per minute"  # public knowledge-base searches per address (each is counted)
    KIOSK_RATELIMIT = "60 per minute"  # per kiosk token, kiosk review and heartbeat endpoints
    KIOSK_IP_RATELIMIT = "120 per minute"
    KIOSK_ENROL_HOURS = 24  # a kiosk's one-time enrolment link expires after this many hours
    MAIL_TIMEOUT = 10
    # Bursts of anonymous answers are held apart until a marketer releases or discards them.
    QUARANTINE_ENABLED = True
    QUARANTINE_WINDOW_MINUTES = 10
    QUARANTINE_FACTOR = 5  # times the assignment's (or kiosk's) usual answers per window
    QUARANTINE_MIN_COUNT = 30  # and at least this many answers in the window
    QUARANTINE_RATE_CACHE_SECONDS = 300
    # Review book: anonymous entries (no contact details) arriving in a burst at one centre wait
    # «на проверке» before they become appeals; QUARANTINE_ENABLED switches this off too.
    REVIEW_CHECK_WINDOW_MINUTES = 10
    REVIEW_CHECK_FACTOR = 5  # times the centre's usual review entries per window
    REVIEW_CHECK_MIN_COUNT = 30  # and at least this many entries at the centre in the window
    # Service requests («Подать заявку»): attachments (PDF/JPEG/PNG by content) per file and per request;
    # the request body may then be up to count × size (plus the form), above MAX_CONTENT_LENGTH.
    REQUEST_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    REQUEST_ATTACHMENT_MAX_COUNT = 5
    ANALYSIS_REFRESH_BATCH = 20_000  # response ids per aggregate-refresh transaction (~200 000 answers, < 1 s)

    # Per-process caches (app/cache.py) of rows that change rarely, in seconds; 0 turns a cache off. A change
    # committed in the same process clears its cache at once; other processes see it when the period ends.
    SURVEY_CACHE_SECONDS = 5.0  # public pages: short code → assignment, slug → published version, centre → id
    REVIEW_CACHE_SECONDS = 5.0  # review book: looked-up topics, centres and kiosks
    DEADLINE_CACHE_SECONDS = 5.0  # appeals: the deadline rules and the written-appeal term

    # Report builds. With a Redis URL (OTKLIK_REDIS_URL, e.g. redis://127.0.0.1:6379/0 or
    # unix:///run/redis/redis.sock) a build is an RQ job run by `flask reports worker`; without it, a thread
    # of the web process. Either way the build writes a heartbeat every REPORT_HEARTBEAT_SECONDS, and a
    # pending/running build whose heartbeat is older than REPORT_STALE_SECONDS (never less than three
    # heartbeats) is marked failed, with an offer to build it again.
    REDIS_URL: str | None = None
    REPORT_QUEUE = "otklik-reports"
    REPORT_JOB_TIMEOUT_SECONDS = 3600  # an RQ job running longer is stopped (and marked failed)
    REPORT_HEARTBEAT_SECONDS = 5
    REPORT_STALE_SECONDS = 60
    REPORT_BUILD_DELAY_SECONDS = 0  # tests only: a pause at each progress step, to stop a build midway


def setting(key: str) -> Any:
    """The current app's value of ``key``; outside an app (scripts, pure helpers) the default above."""
    if has_app_context():
        return current_app.config[key]
    return getattr(DefaultConfig, key)
