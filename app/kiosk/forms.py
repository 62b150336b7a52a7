"""Kiosk admin forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from app.kiosk.services import INACTIVITY_MAX, INACTIVITY_MIN


class KioskForm(FlaskForm):
    center = SelectField(_l("ЦОК"), coerce=int, choices=[])
    name = StringField(
        _l("Название киоска"),
        validators=[DataRequired(_l("Укажите название")), Length(max=200)],
        default="Киоск в зале обслуживания",
    )
    inactivity_seconds = IntegerField(
        _l("Возврат на главный экран после бездействия, секунд"),
        default=60,
        validators=[NumberRange(INACTIVITY_MIN, INACTIVITY_MAX, _l("От %(min)s до %(max)s секунд"))],
    )


class KioskSettingsForm(FlaskForm):
    name = StringField(_l("Название киоска"), validators=[DataRequired(_l("Укажите название")), Length(max=200)])
    inactivity_seconds = IntegerField(
        _l("Бездействие, секунд"),
        validators=[NumberRange(INACTIVITY_MIN, INACTIVITY_MAX, _l("От %(min)s до %(max)s секунд"))],
    )
    # Choices are the surveys offered on the kiosk's centre (set per kiosk); absent from a post: unchanged.
    survey_id = SelectField(_l("Анкета на киоске"), coerce=int, choices=[], validate_choice=False)


class ActionForm(FlaskForm):
    """CSRF only."""
