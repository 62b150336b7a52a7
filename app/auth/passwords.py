"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with the RFC 9106 "second recommended" parameters (64 MiB, 3 passes).
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Key rows of the Russian (ЙЦУКЕН) and Latin (QWERTY) layouts, the digit row and the two alphabets:
# a password made only of runs along one of them (either direction) is a keyboard walk.
KEYBOARD_ROWS = (
    "`1234567890-=",
    "0123456789",
    "qwertyuiop[]",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "ё1234567890-=",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю.",
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
)
_RU_KEYS = "ёйцукенгшщзхъфывапролджэячсмитьбю"
_EN_KEYS = "`qwertyuiop[]asdfghjkl;'zxcvbnm,."
RU_TO_EN = str.maketrans(_RU_KEYS, _EN_KEYS)  # «пароль» typed in the wrong layout is «gfhjkm»
EN_TO_RU = str.maketrans(_EN_KEYS, _RU_KEYS)

# The product and the company: a password built on them is the first an attacker tries.
PRODUCT_WORDS = (
    "otklik",
    "отклик",
    "mrsk",
    "мрск",
    "rosseti",
    "россети",
    "центр",
    "center",
    "centre",
    "energo",
    "энерго",
    "admin",
    "админ",
)


@cache
def common_passwords() -> frozenset[str]:
    """The 30 000 most common passwords (zxcvbn's list, from leaked password sets) and the Russian-specific
    ones this app adds (app/auth/common_passwords.txt), lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    path = Path(__file__).with_name("common_passwords.txt")
    shipped = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(word.lower() for word in (*FREQUENCY_LISTS["passwords"], *shipped) if word)


@cache
def _walk_pieces() -> frozenset[str]:
    segments = [row[i:j] for row in KEYBOARD_ROWS for i in range(len(row)) for j in range(i + 3, len(row) + 1)]
    return frozenset(segments) | {segment[::-1] for segment in segments}


def is_keyboard_walk(password: str) -> bool:
    """True when the whole password is runs of at least three neighbouring keys of one row (or letters of an
    alphabet, or digits in order), forwards or backwards: «йцукенгшщз», «0123456789», «qwerty12345»."""
    text = password.lower()
    pieces = _walk_pieces()
    longest = max(len(row) for row in KEYBOARD_ROWS)
    reachable = [True] + [False] * len(text)
    for end in range(3, len(text) + 1):
        reachable[end] = any(
            reachable[start] and text[start:end] in pieces for start in range(max(0, end - longest), end - 2)
        )
    return reachable[len(text)]


def personal_words(email: str = "", name: str = "", company: str = "") -> set[str]:
    """Words an attacker who knows the person and the company tries first (three letters or more)."""
    words = set(PRODUCT_WORDS)
    email = email.lower()
    if email:
        words.add(email)
        local, _, domain = email.partition("@")
        words.add(local)
        words.update(re.split(r"[^\w]+|_|\d+", local))
        words.update(domain.split(".")[:-1])
    for text in (name, company):
        words.update(re.split(r"[^\w]+|_", text.lower()))
    return {word for word in words if len(word) >= 3}


def _strip_words(text: str, words: Iterable[str]) -> tuple[str, bool]:
    found = False
    for word in sorted(words, key=len, reverse=True):
        if word in text:
            text, found = text.replace(word, " "), True
    return text, found


def password_problems(password: str, min_length: int, email: str = "", name: str = "", company: str = "") -> list[str]:
    """Reasons (Russian) why a password is not acceptable; empty when it is.

    Strength estimators alone pass «йцукенгшщз» (a keyboard row in the Russian layout), so the rules
    are explicit: length, the common-password list (also with digits and symbols around a common word,
    also typed in the other layout), keyboard walks, and the person's e-mail and name and the company's
    and product's names with digits around them.
    """
    problems = []
    if len(password) < min_length:
        problems.append(f"Пароль должен быть не короче {min_length} символов.")
    lowered = password.lower()
    variants = {lowered, lowered.translate(RU_TO_EN), lowered.translate(EN_TO_RU)}
    cores = {re.sub(r"^[\W\d_]+|[\W\d_]+$", "", variant) for variant in variants}
    common = common_passwords()
    if any(v in common for v in variants) or any(len(c) >= 4 and c in common for c in cores) or len(set(password)) < 4:
        problems.append("Этот пароль слишком распространен, выберите другой.")
    if any(is_keyboard_walk(variant) for variant in variants):
        problems.append(
            "Пароль не должен быть рядом клавиш или последовательностью символов (как «йцукен», «qwerty» или «12345»)."
        )
    words = personal_words(email, name, company)
    for variant in variants:
        rest, found = _strip_words(variant, words)
        if found and len(re.sub(r"[\W\d_]+", "", rest)) < 4:
            problems.append(
                "Пароль не должен строиться на адресе почты, имени сотрудника или названии компании и продукта."
            )
            break
    return problems
