"""Staff forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.models import ROLE_LABELS


class LoginForm(FlaskForm):
    email = EmailField(_l("Электронная почта"), validators=[DataRequired(_l("Укажите почту")), Length(max=254)])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(_l("Введите пароль")), Length(max=200)])
    submit = SubmitField(_l("Войти"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Текущий пароль"), validators=[DataRequired(_l("Введите текущий пароль"))])
    new = PasswordField(_l("Новый пароль"), validators=[DataRequired(_l("Введите новый пароль")), Length(max=200)])
    confirm = PasswordField(
        _l("Повторите новый пароль"),
        validators=[DataRequired(_l("Повторите пароль")), EqualTo("new", _l("Пароли не совпадают"))],
    )
    submit = SubmitField(_l("Сменить пароль"))


ROLE_CHOICES = [(role.value, label) for role, label in ROLE_LABELS.items()]


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Электронная почта"), validators=[DataRequired(_l("Укажите почту")), Length(max=254)])
    name = StringField(_l("Имя"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Роль"), choices=ROLE_CHOICES)
    scope = SelectField(_l("Подразделение"), choices=[])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(_l("Задайте пароль")), Length(max=200)])
    submit = SubmitField(_l("Создать"))


class UserEditForm(FlaskForm):
    name = StringField(_l("Имя"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Роль"), choices=ROLE_CHOICES)
    scope = SelectField(_l("Подразделение"), choices=[])
    active = BooleanField(_l("Учетная запись активна"))
    new_password = PasswordField(_l("Новый пароль (если нужно сменить)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Сохранить"))
