"""Every signal the core sends, in one place: plugins and deployments connect here.

docs/extending.md catalogues each (when it fires, sender, keyword arguments, in whose
context); tests/extending/test_hooks.py holds the catalogue and this module to each other.

Tenant lifecycle signals are sent with the ``Tenant`` as sender, inside the
transaction that made the change (after its flush, before its commit), so a
receiver's writes commit or roll back with it. A plugin's receivers run only
for tenants that enabled the plugin (see ``Plugin.receivers``): a signal about no
tenant (``tenant=None``) reaches only receivers connected directly.

The request signals are on every request's path: they are sent only when something
is connected to them, so they cost nothing otherwise.
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
#: The request's tenant is known and live (sender: the app; ``tenant=`` the TenantRef), inside
#: its context, before CSRF and the plugin gate. Not sent for the root host or static files.
tenant_resolved = _signals.signal("tenant-resolved")
#: The core's checks passed and the view is next (sender: the app; ``tenant=`` the TenantRef,
#: None on the root host and for static files).
request_started = _signals.signal("request-started")
#: A response is about to go out, security headers set (sender: the app; ``tenant=``,
#: ``response=`` the Response, which receivers may add headers to). Sent for every response
#: the app makes, refusals (400, 403, 404) included.
request_finished = _signals.signal("request-finished")
#: Someone signed in, on a tenant's host or the root host (sender: the app; ``user=`` the
#: signed-in account, ``tenant=`` the TenantRef or None for operators).
user_signed_in = _signals.signal("user-signed-in")
#: Someone signed out (sender: the app; ``user=``, ``tenant=``).
user_signed_out = _signals.signal("user-signed-out")
#: A job's function returned and its writes committed (sender: the app; ``job=`` the job's
#: id, ``function=`` its import path, ``result=`` what it returned, ``tenant=`` the TenantRef,
#: None for platform jobs), inside the job's tenant context.
job_done = _signals.signal("job-done")
#: Internal: a commit changed tenants or domains; host caches drop stale answers.
hosts_changed = _signals.signal("hosts-changed")
