"""The public booking form (works without JavaScript); the rules live in app.booking.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

BOOKING_CONSENT_LABEL = _l("Даю согласие на обработку моих имени и телефона для записи на прием (152-ФЗ)")


class BookingForm(FlaskForm):
    service = HiddenField()
    start = HiddenField()
    name = StringField(_l("Как к вам обращаться"), validators=[Length(max=200)])
    phone = StringField(_l("Телефон"), validators=[Length(max=40)])
    consent = BooleanField(BOOKING_CONSENT_LABEL)
    client_request_id = HiddenField()


class MarkForm(FlaskForm):
    """Only the CSRF token: the operator's arrived / no-show buttons post the outcome as their value."""


class CloseForm(FlaskForm):
    """Closing a day or a window; the centre and window choices are the user's own centres'."""

    center = StringField(_l("ЦОК"))
    day = StringField(_l("День"))
    window = StringField(_l("Окно"))
    reason = TextAreaField(_l("Причина"), validators=[Length(max=300)])
