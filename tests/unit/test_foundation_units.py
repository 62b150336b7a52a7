"""Pure helpers of the foundation: URL checks, redirects, formats, password policy."""

from decimal import Decimal

import pytest

from app.auth.passwords import hash_password, password_problems, verify_password
from app.auth.routes import safe_next
from app.database import ConfigError, normalise_database_url
from app.nav import format_number, format_percent


@pytest.mark.parametrize(
    "url,expected",
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_supported_database_urls(url, expected):
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "oracle://x", "not a url at all"])
def test_unsupported_database_urls_raise_a_russian_message(url):
    with pytest.raises(ConfigError) as info:
        normalise_database_url(url)
    assert "DATABASE_URL" in str(info.value)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "%2F%2Fevil.example",
        "%252F%252Fevil.example",
        "/%5Cevil.example",
        "javascript:alert(1)",
        "///evil.example",
        "/\t/evil",
        "http:/evil",
        " //evil.example",
    ],
)
def test_safe_next_refuses_foreign_targets(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/appeals/", "/admin/users?page=2", "/dashboard"])
def test_safe_next_keeps_local_paths(target):
    assert safe_next(target) == target


def test_russian_number_format():
    assert format_number(1661) == "1\u00a0661"
    assert format_number(40357) == "40\u00a0357"
    assert format_percent(1661 / 40357) == "4,1\u00a0%"
    assert format_percent(0.86334) == "86,3\u00a0%"
    assert format_number(None) == "—"


@pytest.mark.parametrize(
    "value, decimals",
    [
        (-2.5, 1),
        (-1661, 0),
        (-0.04, 1),
        (float("nan"), 1),
        (float("inf"), 0),
        (None, 0),
        (Decimal("-3.14"), 2),
        (12.345, 2),
    ],
)
def test_pages_and_reports_format_a_number_alike(value, decimals):
    """One formatter: a negative shows a true minus sign («−2,5») on a page and in a PDF alike."""
    from app.reports.fmt import num

    assert format_number(value, decimals) == num(value, decimals)
    assert "-" not in format_number(value, decimals)


def test_negative_numbers_carry_a_true_minus():
    assert format_number(-1661.25, 1) == "\u22121\u00a0661,2"
    assert format_percent(-0.0412) == "\u22124,1\u00a0%"
    assert format_number(True) == "—"  # a flag is not a number to show


def test_password_policy():
    assert password_problems("short", 10)
    assert password_problems("qwerty12345", 10)  # in the common list
    assert password_problems("aaaaaaaaaaaa", 10)  # too few distinct characters
    assert password_problems("correct-horse-battery", 10) == []


def test_argon2id_hash_round_trip():
    hashed = hash_password("correct-horse-battery")
    assert hashed.startswith("$argon2id$")
    assert "m=65536" in hashed and "t=3" in hashed
    assert verify_password(hashed, "correct-horse-battery")
    assert not verify_password(hashed, "wrong-horse-battery")
    assert not verify_password("not-a-hash", "x")
