from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tenantry import Form


class TaskForm(Form):
    title = StringField("Task", validators=[DataRequired(), Length(max=200)])
    due = DateField("Due", validators=[Optional()])
    note_id = SelectField("Note", coerce=int, validate_choice=True, default=0)
