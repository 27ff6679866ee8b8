"""The Cognito authorizer every protected route attaches (app.py and each blueprint).

In deployed stages API Gateway verifies Cognito tokens and hands us their
claims (TD_AUTH_MODE=cognito); infra sets TD_USER_POOL_ARN when it packages
the app, which attaches the authorizer to every protected route. Locally and
in tests there is none (chalice local would decode, unverified, any bearer
token as a Cognito one): TD_AUTH_MODE=local checks our own tokens.
Without the authorizer, cognito mode finds no claims and refuses: it fails closed.
Chalice needs it at import, so the pool comes from the environment.
"""
from __future__ import annotations

import os

from chalice import CognitoUserPoolAuthorizer

_POOL_ARN = os.environ.get("TD_USER_POOL_ARN")
users = CognitoUserPoolAuthorizer("TenantdeskUsers", provider_arns=[_POOL_ARN]) if _POOL_ARN else None
