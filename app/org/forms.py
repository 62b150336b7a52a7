"""Organisation tree forms."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class OrgForm(FlaskForm):
    kind = SelectField(_l("Тип"), choices=[("branch", _l("Филиал (РСК)")), ("center", _l("ЦОК"))])
    code = StringField(_l("Код"), validators=[DataRequired(_l("Укажите код")), Length(max=32)])
    name = StringField(_l("Название"), validators=[DataRequired(_l("Укажите название")), Length(max=200)])
    parent = SelectField(_l("Входит в"), choices=[], coerce=int)
    address = StringField(_l("Адрес"), validators=[Optional(), Length(max=300)])
    opening_hours = StringField(_l("Часы работы"), validators=[Optional(), Length(max=300)])
    # Choices are set by the view (app.org.timezones); any other valid zone is checked by the service.
    timezone = SelectField(
        _l("Часовой пояс"),
        choices=[],
        default=lambda: current_app.config["DEFAULT_CENTER_TIMEZONE"],
        validators=[Length(max=64)],
        validate_choice=False,
    )
    active = BooleanField(_l("Действует"), default=True)
    submit = SubmitField(_l("Сохранить"))
