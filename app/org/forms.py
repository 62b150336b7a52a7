"""Organisation tree forms."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class OrgForm(FlaskForm):
    kind = SelectField("Тип", choices=[("branch", "Филиал (РСК)"), ("center", "ЦОК")])
    code = StringField("Код", validators=[DataRequired("Укажите код"), Length(max=32)])
    name = StringField("Название", validators=[DataRequired("Укажите название"), Length(max=200)])
    parent = SelectField("Входит в", choices=[], coerce=int)
    address = StringField("Адрес", validators=[Optional(), Length(max=300)])
    opening_hours = StringField("Часы работы", validators=[Optional(), Length(max=300)])
    # Choices are set by the view (app.org.timezones); any other valid zone is checked by the service.
    timezone = SelectField(
        "Часовой пояс",
        choices=[],
        default=lambda: current_app.config["DEFAULT_CENTER_TIMEZONE"],
        validators=[Length(max=64)],
        validate_choice=False,
    )
    active = BooleanField("Действует", default=True)
    submit = SubmitField("Сохранить")
