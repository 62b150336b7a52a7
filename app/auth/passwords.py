"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

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


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line)


def password_problems(password: str, min_length: int, email: str = "") -> list[str]:
    """Reasons (Russian) why a password is not acceptable; empty when it is."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Пароль должен быть не короче {min_length} символов.")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 4:
        problems.append("Этот пароль слишком распространен, выберите другой.")
    if email and lowered == email.lower().split("@")[0]:
        problems.append("Пароль не должен совпадать с именем пользователя.")
    return problems
