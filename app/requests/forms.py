"""The public request form (works without JavaScript); the rules live in app.requests.services."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

REQUEST_CONSENT_LABEL = "Я прочитал(а) текст согласия и даю согласие на обработку моих персональных данных"


class RequestForm(FlaskForm):
    """Every field of every type: the page shows those of the chosen type, the service checks them."""

    center = StringField("Центр обслуживания")
    name = StringField("Фамилия, имя, отчество заявителя")
    phone = StringField("Телефон")
    email = StringField("Электронная почта (необязательно)")
    object_address = StringField("Адрес объекта")
    power_kw = StringField("Запрашиваемая мощность, кВт")
    voltage = StringField("Уровень напряжения")
    object_type = StringField("Тип объекта")
    meter_number = StringField("Заводской номер прибора учета")
    meter_model = StringField("Тип (модель) прибора учета")
    installation_date = StringField("Дата установки")
    check_reason = StringField("Причина проверки")
    comment = TextAreaField("Комментарий (необязательно)")
    consent = BooleanField(REQUEST_CONSENT_LABEL)
    website = StringField("Сайт (не заполняйте это поле)")  # honeypot
    client_submission_id = HiddenField()


class DecisionForm(FlaskForm):
    """Only the CSRF token: the decision comes from the button pressed."""
