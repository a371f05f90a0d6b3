"""Signals other plugins may receive (sender: the Note)."""

from blinker import Namespace

_signals = Namespace()

note_created = _signals.signal("notes.note-created")
#: Sent before the note is deleted, inside the same transaction: receivers unlink their rows.
note_deleted = _signals.signal("notes.note-deleted")
