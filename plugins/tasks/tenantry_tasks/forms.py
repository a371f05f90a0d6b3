from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tenantry import Form
from tenantry import lazy_gettext as _l


class TaskForm(Form):
    title = StringField(_l("Task"), validators=[DataRequired(), Length(max=200)])
    due = DateField(_l("Due"), validators=[Optional()])
    note_id = SelectField(_l("Note"), coerce=int, validate_choice=True, default=0)
