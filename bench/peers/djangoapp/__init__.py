"""The Django peers of ``bench.peers``: one project, two modes (``PEERS_MODE``).

- ``tenants``: django-tenants, a schema per tenant, the tenant resolved from the Host
  by its ``TenantMainMiddleware`` (its domain table, then ``SET search_path``);
- ``bare``: the same project without django-tenants, one schema, one customer.

Both serve ``/public/notes.json`` with the same view and model (``publicnotes``) and
the same bytes as tenantry's ``publicpage`` plugin, under waitress with as many
threads as tenantry (``serve``). Nothing here imports tenantry.
"""
