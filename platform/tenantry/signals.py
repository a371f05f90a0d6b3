"""Every signal the core sends, in one place: plugins and deployments connect here.

Tenant lifecycle signals are sent with the ``Tenant`` as sender, inside the
transaction that made the change (after its flush, before its commit), so a
receiver's writes commit or roll back with it. A plugin's receivers run only
for tenants that enabled the plugin (see ``Plugin.receivers``).
"""

from blinker import Namespace

_signals = Namespace()

#: A tenant was created (sender: the Tenant).
tenant_created = _signals.signal("tenant-created")
#: A tenant was suspended: its hosts answer 403 from the next request on.
tenant_suspended = _signals.signal("tenant-suspended")
#: A suspended tenant is active again.
tenant_resumed = _signals.signal("tenant-resumed")
#: A tenant was deleted: its hosts answer 404; its rows stay until purged.
tenant_deleted = _signals.signal("tenant-deleted")
#: Sent inside the demo tenant's context by ``tenantry demo`` (sender: the Tenant), so
#: plugins can add sample data, each only once.
demo_seeded = _signals.signal("demo-seeded")
#: Internal: a commit changed tenants or domains; host caches drop stale answers.
hosts_changed = _signals.signal("hosts-changed")
