"""Recording staff actions that change data."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditEvent


def record(action: str, obj: Any = None, summary: str = "", **details: Any) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes).

    ``summary`` and ``details`` must not contain personal data: identifiers and codes only.
    """
    user_id = None
    try:
        if current_user and current_user.is_authenticated:
            user_id = current_user.id
    except RuntimeError:  # outside a request (CLI): no user
        user_id = None
    event = AuditEvent(
        user_id=details.pop("user_id", user_id),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or "") if obj is not None else "",
        summary=summary,
        details=details,
        client_address=(request.remote_addr or "")[:45] or None if has_request_context() else None,
    )
    db.session.add(event)
    return event
