"""Russian time zones by the names a person in Russia uses («Москва (МСК)»), not their IANA codes.

Centres store the IANA name (``Europe/Moscow``) that date arithmetic needs; pages show these labels. A zone
outside the list (imported from a file) is still shown and kept, by its code.
"""

from __future__ import annotations

from flask_babel import gettext

TIMEZONE_LABELS = {
    "Europe/Kaliningrad": "Калининград (МСК−1)",
    "Europe/Moscow": "Москва (МСК)",
    "Europe/Samara": "Самара (МСК+1)",
    "Asia/Yekaterinburg": "Екатеринбург (МСК+2)",
    "Asia/Omsk": "Омск (МСК+3)",
    "Asia/Krasnoyarsk": "Красноярск (МСК+4)",
    "Asia/Irkutsk": "Иркутск (МСК+5)",
    "Asia/Yakutsk": "Якутск (МСК+6)",
    "Asia/Vladivostok": "Владивосток (МСК+7)",
    "Asia/Magadan": "Магадан (МСК+8)",
    "Asia/Kamchatka": "Камчатка (МСК+9)",
}


def timezone_label(name: str | None) -> str:
    """The Russian label of a time zone; an unlisted zone by its code, a missing one as «—»."""
    if not name:
        return "—"
    return gettext(TIMEZONE_LABELS[name]) if name in TIMEZONE_LABELS else name


def timezone_choices(current: str | None = None) -> list[tuple[str, str]]:
    """The select's options: the Russian zones, and the centre's own zone when it is not one of them."""
    choices = [(name, gettext(label)) for name, label in TIMEZONE_LABELS.items()]
    if current and current not in TIMEZONE_LABELS:
        choices.append((current, current))
    return choices
