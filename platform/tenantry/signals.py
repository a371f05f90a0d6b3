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
#: A tenant was deleted: its hosts answer 404; its rows stay until purged
#: (``tenant.purge_after``, None when the purge follows at once).
tenant_deleted = _signals.signal("tenant-deleted")
#: An operator cancelled a deletion before the purge: the tenant is suspended again.
tenant_deletion_cancelled = _signals.signal("tenant-deletion-cancelled")
#: A deleted tenant's rows are about to be removed with it, in this transaction
#: (``rows=`` how many); its slug is free once this commits.
tenant_purged = _signals.signal("tenant-purged")
#: A plugin was turned on for a tenant (sender: the Tenant; ``plugin=`` its name).
plugin_enabled = _signals.signal("plugin-enabled")
#: A plugin was turned off for a tenant (sender: the Tenant; ``plugin=``); data is kept.
plugin_disabled = _signals.signal("plugin-disabled")
#: A tenant's settings of a plugin changed (sender: the Tenant; ``plugin=``,
#: ``changes=`` the names of the fields that changed).
plugin_settings_changed = _signals.signal("plugin-settings-changed")
#: Operators locked a plugin for a tenant: its admins cannot change it (``plugin=``).
plugin_locked = _signals.signal("plugin-locked")
#: Operators unlocked a plugin for a tenant (``plugin=``).
plugin_unlocked = _signals.signal("plugin-unlocked")
#: Sent inside the demo tenant's context by ``tenantry demo`` (sender: the Tenant), so
#: plugins can add sample data, each only once.
demo_seeded = _signals.signal("demo-seeded")
#: Internal: a commit changed tenants or domains; host caches drop stale answers.
hosts_changed = _signals.signal("hosts-changed")
