"""The public booking form (works without JavaScript); the rules live in app.booking.services."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length

BOOKING_CONSENT_LABEL = "Даю согласие на обработку моих имени и телефона для записи на прием (152-ФЗ)"


class BookingForm(FlaskForm):
    service = HiddenField()
    start = HiddenField()
    name = StringField("Как к вам обращаться", validators=[Length(max=200)])
    phone = StringField("Телефон", validators=[Length(max=40)])
    consent = BooleanField(BOOKING_CONSENT_LABEL)
    client_request_id = HiddenField()
