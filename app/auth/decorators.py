"""Role checks for staff views."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request
from flask_login import current_user

security_log = logging.getLogger("otklik.security")


def roles_required(*roles: str) -> Callable:
    """Allow logged-in users with one of ``roles`` (admins always); others get 401/403.

    Every staff view carries this decorator: the URL-map test relies on the ``_staff_roles``
    attribute it sets.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                security_log.warning("access refused: account %s to %s", current_user.id, request.endpoint)
                abort(403)
            return view(*args, **kwargs)

        wrapped._staff_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def staff_required(view: Callable) -> Callable:
    """Any logged-in staff member."""
    return roles_required("admin", "marketing", "operator", "manager")(view)


def public(view: Callable) -> Callable:
    """Mark a view as deliberately public (customers, kiosks, API); the URL-map test checks the mark."""
    view._public = True  # type: ignore[attr-defined]
    return view
