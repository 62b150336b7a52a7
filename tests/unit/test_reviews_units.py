"""Pure helpers of the review book: text normalisation, duplicate hash, check codes, numbers."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from app.reviews.services import (
    CHECK_ALPHABET,
    CHECK_LENGTH,
    NUMBER_RE,
    check_code_for,
    format_number,
    hash_check_code,
    normalise_text,
    text_hash,
    valid_submission_id,
)


def test_normalise_text_unifies_newlines_and_trims():
    assert normalise_text("  Строка 1\r\nСтрока 2\rСтрока 3 \n") == "Строка 1\nСтрока 2\nСтрока 3"
    assert normalise_text(None) == ""
    assert normalise_text("е\u0308") == "ё"  # NFC


def test_text_hash_ignores_case_and_spacing_but_not_centre_or_words():
    base = text_hash(1, "Нет света третий день")
    assert text_hash(1, "  нет   СВЕТА\nтретий день ") == base
    assert text_hash(2, "Нет света третий день") != base
    assert text_hash(1, "Нет света второй день") != base


@given(st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=32))
def test_check_code_is_stable_and_uses_the_unambiguous_alphabet(submission_id, secret):
    code = check_code_for(submission_id, secret)
    assert code == check_code_for(submission_id, secret)
    assert len(code) == CHECK_LENGTH and set(code) <= set(CHECK_ALPHABET)
    assert not set(code) & set("01IO")


def test_check_code_depends_on_the_secret_and_the_id():
    sid = str(uuid.uuid4())
    codes = {check_code_for(sid, "a"), check_code_for(sid, "b"), check_code_for(str(uuid.uuid4()), "a")}
    assert len(codes) == 3


def test_hash_check_code_is_case_insensitive_and_bound_to_the_number():
    assert hash_check_code("KUR-2026-000001", "abc234") == hash_check_code("KUR-2026-000001", " ABC234 ")
    assert hash_check_code("KUR-2026-000001", "ABC234") != hash_check_code("KUR-2026-000002", "ABC234")
    assert "ABC234" not in hash_check_code("KUR-2026-000001", "ABC234")


def test_registration_number_format():
    assert format_number("KUR", 2026, 123) == "KUR-2026-000123"
    assert NUMBER_RE.match(format_number("BEL", 2027, 1))
    assert not NUMBER_RE.match("KUR-2026-123") and not NUMBER_RE.match("kur-2026-000123 OR 1=1")


def test_submission_ids_must_be_uuids():
    assert valid_submission_id(str(uuid.uuid4()))
    assert not valid_submission_id("x") and not valid_submission_id("") and not valid_submission_id(None)
