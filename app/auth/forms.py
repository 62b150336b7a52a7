"""Staff forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.models import ROLE_LABELS


class LoginForm(FlaskForm):
    email = EmailField("Электронная почта", validators=[DataRequired("Укажите почту"), Length(max=254)])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль"), Length(max=200)])
    submit = SubmitField("Войти")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Текущий пароль", validators=[DataRequired("Введите текущий пароль")])
    new = PasswordField("Новый пароль", validators=[DataRequired("Введите новый пароль"), Length(max=200)])
    confirm = PasswordField(
        "Повторите новый пароль",
        validators=[DataRequired("Повторите пароль"), EqualTo("new", "Пароли не совпадают")],
    )
    submit = SubmitField("Сменить пароль")


ROLE_CHOICES = [(role.value, label) for role, label in ROLE_LABELS.items()]


class UserCreateForm(FlaskForm):
    email = EmailField("Электронная почта", validators=[DataRequired("Укажите почту"), Length(max=254)])
    name = StringField("Имя", validators=[Optional(), Length(max=200)])
    role = SelectField("Роль", choices=ROLE_CHOICES)
    scope = SelectField("Подразделение", choices=[])
    password = PasswordField("Пароль", validators=[DataRequired("Задайте пароль"), Length(max=200)])
    submit = SubmitField("Создать")


class UserEditForm(FlaskForm):
    name = StringField("Имя", validators=[Optional(), Length(max=200)])
    role = SelectField("Роль", choices=ROLE_CHOICES)
    scope = SelectField("Подразделение", choices=[])
    active = BooleanField("Учетная запись активна")
    new_password = PasswordField("Новый пароль (если нужно сменить)", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Сохранить")
