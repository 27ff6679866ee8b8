"""A user pool on (in-process) moto, made as the local stack makes it, for tests."""
from __future__ import annotations

import boto3


def make_pool(monkeypatch=None) -> tuple[str, str]:
    """(pool id, app client id); with ``monkeypatch``, the API is configured to use it."""
    from chalicelib import config
    from devstack.identity import create_pool
    settings = create_pool(boto3.client("cognito-idp", region_name=config.region()))
    if monkeypatch is not None:
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
    return settings["TD_USER_POOL_ID"], settings["TD_USER_POOL_CLIENT_IDS"]


def trust_moto_keys(monkeypatch) -> None:
    """In-process moto serves no JWKS over HTTP: hand the API moto's public signing keys
    for the configured pool's JWKS URL (the local stack's server mode serves them)."""
    from moto.utilities.utils import load_resource

    from chalicelib import config
    from chalicelib.http import identity
    jwks = load_resource("moto.cognitoidp", "resources/jwks-public.json")
    url = config.cognito_jwks_url()
    monkeypatch.setitem(identity._KEYS, url, identity.CognitoKeys(url, fetch=lambda: jwks))
