"""Random creates, reads, updates and deletes across random tenants; afterwards every
tenant sees exactly its own rows, and never anyone else's."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sqlalchemy import delete, select, update

from tenantry import TenantViolation, all_tenants, db, tenant_context
from tenantry_notes.models import Note

SLUGS = ["alpha", "beta", "gamma"]
#: What a text column can hold on both databases (PostgreSQL refuses NUL; HTTP input with
#: NUL is refused with 400 before it gets here, see tests/test_errors.py).
TITLES = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=20,
)


@pytest.mark.parametrize("_", [0])
def test_random_operations_keep_every_tenant_to_itself(app, make_tenant, _):
    tenants = {slug: make_tenant(slug, plugins=["notes"]) for slug in SLUGS}

    class Tenants(RuleBasedStateMachine):
        notes = Bundle("notes")

        def __init__(self):
            super().__init__()
            self.context = app.app_context()
            self.context.push()
            self.model: dict[int, tuple[str, str]] = {}  # id -> (slug, title)

        def teardown(self):
            with all_tenants():
                db.session.execute(delete(Note))
                db.session.commit()
            self.context.pop()

        @rule(target=notes, slug=st.sampled_from(SLUGS), title=TITLES)
        def create(self, slug, title):
            with tenant_context(tenants[slug]):
                note = Note(title=title)
                db.session.add(note)
                db.session.commit()
            self.model[note.id] = (slug, title)
            return note.id

        @rule(note_id=notes, slug=st.sampled_from(SLUGS), title=TITLES)
        def rename(self, note_id, slug, title):
            with tenant_context(tenants[slug]):
                note = db.session.get(Note, note_id)
                if note_id in self.model and self.model[note_id][0] == slug:
                    note.title = title
                    db.session.commit()
                    self.model[note_id] = (slug, title)
                else:
                    assert note is None

        @rule(note_id=notes, slug=st.sampled_from(SLUGS))
        def bulk_rename_and_delete(self, note_id, slug):
            with tenant_context(tenants[slug]):
                db.session.execute(update(Note).where(Note.id == note_id).values(title="bulk"))
                db.session.execute(delete(Note).where(Note.id == note_id))
                db.session.commit()
            if self.model.get(note_id, ("",))[0] == slug:
                del self.model[note_id]

        @rule(note_id=notes, thief=st.sampled_from(SLUGS))
        def steal(self, note_id, thief):
            owner = self.model.get(note_id, (None,))[0]
            if owner is None or owner == thief:
                return
            with all_tenants():
                note = db.session.get(Note, note_id)
            with tenant_context(tenants[thief]):
                note.title = "stolen"
                try:
                    db.session.flush()
                    raise AssertionError("another tenant's row was changed")
                except TenantViolation:
                    db.session.rollback()

        @invariant()
        def each_tenant_sees_exactly_its_rows(self):
            for slug, tenant in tenants.items():
                with tenant_context(tenant):
                    seen = {n.id: n.title for n in db.session.scalars(select(Note))}
                expected = {i: t for i, (s, t) in self.model.items() if s == slug}
                assert seen == expected

    Tenants.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    Tenants.TestCase().runTest()
