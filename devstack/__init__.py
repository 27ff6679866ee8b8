"""Tenantdesk's local stack: ``python -m devstack`` (or ``./dev run``).

Everything AWS is mocked by moto in this process; the API runs under
``chalice local``. See :mod:`devstack.stack` for the parts and how to add a
background worker, :mod:`devstack.seed` for the demo data.
"""
