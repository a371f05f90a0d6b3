"""Account forms (Flask-WTF: CSRF on every one)."""

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from tenantry.auth.models import MIN_PASSWORD_LENGTH, Role
from tenantry.forms import Form

#: Shape only: deliverability is not our business at login, and .test domains are fine.
EMAIL_SHAPE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address.")


def _email() -> EmailField:
    return EmailField("Email", validators=[DataRequired(), EMAIL_SHAPE, Length(max=254)])


def _new_password(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
    )


def _repeat(field: str) -> PasswordField:
    return PasswordField(
        "Repeat it", validators=[DataRequired(), EqualTo(field, "The two passwords differ.")]
    )


class LoginForm(Form):
    email = _email()
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class TokenForm(Form):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])


class ForgotPasswordForm(Form):
    email = _email()


class NewPasswordForm(Form):
    """Choose a password: from a reset link."""

    password = _new_password()
    confirm = _repeat("password")


class AcceptInvitationForm(Form):
    name = StringField("Your name", validators=[Length(max=200)])
    password = _new_password("Password")
    confirm = _repeat("password")


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1024)]
    )
    password = _new_password()
    confirm = _repeat("password")


class InviteForm(Form):
    email = _email()
    role = SelectField("Role", choices=[role.value for role in Role])
