"""Tenant lifecycle signals (blinker). Receivers get the Tenant as sender."""

from blinker import Namespace

_signals = Namespace()

tenant_created = _signals.signal("tenant-created")
tenant_suspended = _signals.signal("tenant-suspended")
tenant_resumed = _signals.signal("tenant-resumed")
tenant_deleted = _signals.signal("tenant-deleted")
#: Sent after a commit that changed tenants or domains, so host caches can drop stale answers.
hosts_changed = _signals.signal("hosts-changed")
