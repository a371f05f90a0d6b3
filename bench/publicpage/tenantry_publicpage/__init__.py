"""publicpage: a tenant's newest notes as public JSON, written from docs/plugins.md alone.

The benchmarks' plugin (``bench.throughput --scenario public``, ``bench.peers``):
one page, no login, one scoped query, so that what it measures is the platform's
cost per request and not the plugin's. Its bare twins (``bench.bare_app``,
``bench.peers``) answer the same bytes.
"""

from __future__ import annotations

from tenantry import Plugin
from tenantry_publicpage.views import bp

plugin = Plugin(
    name="publicpage",
    title="Public page",
    description="A tenant's newest notes as public JSON (a benchmark plugin).",
    requires=["tenantry>=0.2,<1"],
    blueprint=bp,
    url_prefix="/public",
)
