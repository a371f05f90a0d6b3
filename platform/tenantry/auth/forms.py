"""Account forms (Flask-WTF: CSRF on every one)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

#: Shape only: deliverability is not our business at login, and .test domains are fine.
EMAIL_SHAPE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL_SHAPE, Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
