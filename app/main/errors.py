"""Russian error pages; JSON for the API. The 500 handler rolls the session back."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.errors import DomainError
from app.extensions import db
from app.i18n import N_
from app.parsing import QueryNumberTooLarge

# Plain Russian (N_): the API answers them in JSON; the error page translates them.
MESSAGES = {
    400: (N_("Неверный запрос"), N_("Запрос не удалось обработать. Проверьте введенные данные.")),
    401: (N_("Нужен вход"), N_("Войдите в систему, чтобы продолжить.")),
    403: (N_("Доступ запрещен"), N_("У вас нет прав для просмотра этой страницы.")),
    404: (N_("Страница не найдена"), N_("Такой страницы нет. Проверьте адрес или вернитесь на главную.")),
    405: (N_("Действие недоступно"), N_("Этот адрес не принимает такой запрос.")),
    409: (N_("Конфликт"), N_("Данные изменились или уже существуют. Обновите страницу и повторите действие.")),
    410: (N_("Больше недоступно"), N_("Эта страница больше не действует.")),
    413: (N_("Слишком большой объем"), N_("Отправленные данные слишком велики.")),
    422: (N_("Данные не прошли проверку"), N_("Проверьте введенные данные.")),
    429: (N_("Слишком много запросов"), N_("Пожалуйста, подождите немного и попробуйте снова.")),
    500: (N_("Внутренняя ошибка"), N_("Что-то пошло не так. Мы уже знаем об ошибке; попробуйте позже.")),
}


def _render(code: int, message: str | None = None, exc: Exception | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    # Keep the exception's own headers (Allow on 405, Retry-After on 429).
    headers = (
        [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"] if isinstance(exc, HTTPException) else []
    )
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": message or text}, code, headers
    return render_template("errors/error.html", code=code, title=title, text=message or text), code, headers


def register(app: Flask) -> None:
    for code in MESSAGES:
        if code == 500:
            continue
        app.register_error_handler(code, lambda exc, code=code: _render(code, exc=exc))

    @app.errorhandler(QueryNumberTooLarge)
    def number_too_large(exc: QueryNumberTooLarge):
        return _render(400, exc.description, exc)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        """A service's refusal that no view handled: its status and its Russian message (blueprints such
        as the API register their own, more specific handler)."""
        db.session.rollback()
        return _render(exc.status, str(exc), exc)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        logging.getLogger("otklik.security").warning("csrf refused: %s", request.endpoint)
        return _render(
            400, N_("Форма устарела или отправлена не с нашего сайта. Обновите страницу и повторите действие.")
        )

    @app.errorhandler(500)
    def internal_error(exc):
        db.session.rollback()
        return _render(500)
