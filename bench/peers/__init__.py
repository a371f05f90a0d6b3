"""``python -m bench.peers``: tenantry's public page against django-tenants and bare Django.

See ``__main__`` for the method; ``djangoapp`` holds the Django project the peers run.
Needs the optional extra: ``.venv/bin/pip install -c constraints.txt -e '.[bench]'``.
"""
