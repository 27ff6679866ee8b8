"""Cognito: the user pool, its groups (roles) and the web client."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import RemovalPolicy
from aws_cdk import aws_cognito as cognito
from nag_util import suppress

from chalicelib.resources import ResourceNames

# Cognito attributes an app client may read / let the user write.
USER_READABLE_CUSTOM = ("properties", "department", "tenant_id")
USER_WRITABLE = {"fullname": True, "locale": True}
# The native and web apps' sign-in (chalicelib/http/openapi.py "Signing in"): the hosted UI's
# authorization code flow with PKCE returns to the app's URL scheme or to the web app.
APP_CALLBACK_SCHEME = "tenantdesk://auth"
DEFAULT_WEB_APP_URL = "http://localhost:8000/app/"  # -c web_app_url=https://…/app/ in a real deployment
APP_SCOPES = ("openid", "email", "profile")
GROUPS = ("tenant", "security", "front_desk", "shift_lead", "dept_staff", "manager", "director", "admin")


class Auth:
    """The user pool (scope in custom attributes, role in groups; prod: deletion protection
    and Retain), an SRP-only web client and the apps' client (SRP, hosted UI code flow with
    PKCE), neither able to write scope. Created in the stack's
    scope: logical ids stay the deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, prod: bool,
                 web_app_url: str = DEFAULT_WEB_APP_URL) -> None:
        self.user_pool = cognito.UserPool(
            stack, "Users", user_pool_name=names.user_pool,
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(min_length=12, require_digits=True, require_lowercase=True,
                                                   require_uppercase=True, require_symbols=True),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Mutable so that admins can change them (AdminUpdateUserAttributes); no app client
            # may write them (USER_WRITABLE above). Immutable would freeze a user's scope at
            # creation, and CloudFormation cannot change a custom attribute afterwards.
            custom_attributes={
                "properties": cognito.StringAttribute(min_len=0, max_len=2048, mutable=True),
                # dept_staff act only on their department's cases (chalicelib/domain/auth.py).
                "department": cognito.StringAttribute(min_len=0, max_len=64, mutable=True),
                # A tenant's id, set by the system when the front desk invites them
                # (chalicelib/services/onboarding.py); the API's subject for a tenant.
                "tenant_id": cognito.StringAttribute(min_len=0, max_len=64, mutable=True),
            },
            # Invitations by SMS (a tenant invited with a phone number): Cognito sends through SNS.
            enable_sms_role=True,
            deletion_protection=prod,
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
        )
        for group in GROUPS:
            cognito.CfnUserPoolGroup(stack, f"Group{group.title().replace('_', '')}",
                                     user_pool_id=self.user_pool.user_pool_id, group_name=group)
        # Scope (custom:properties, custom:department) and role (groups) are the admin's to
        # set: an app client without explicit WriteAttributes lets a signed-in user call
        # UpdateUserAttributes with their own access token and widen their own scope. The
        # client reads the claims the API maps (chalicelib/domain/auth.py) - the ID token carries
        # only readable attributes - and writes only a user's own name and locale.
        # No OAuth/hosted UI (CDK's default would enable the implicit flow): SRP sign-in only.
        self.client = self.user_pool.add_client(
            "WebClient", user_pool_client_name=names.user_pool_client,
            auth_flows=cognito.AuthFlow(user_srp=True), generate_secret=False,
            prevent_user_existence_errors=True, disable_o_auth=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True, locale=True)
            .with_custom_attributes(*USER_READABLE_CUSTOM),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(**USER_WRITABLE))
        # The apps' client (native iOS/Android and the web app): public (no secret: an app
        # cannot keep one), SRP sign-in and refresh tokens, and the hosted UI's authorization
        # code flow (the app sends a PKCE code_challenge) back to the app's URL scheme or the
        # web app. No implicit flow. Short ID/access tokens, refresh for 30 days; revocation on.
        self.app_client = self.user_pool.add_client(
            "AppClient", user_pool_client_name=names.user_pool_app_client,
            auth_flows=cognito.AuthFlow(user_srp=True), generate_secret=False,
            prevent_user_existence_errors=True, enable_token_revocation=True,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[APP_CALLBACK_SCHEME, web_app_url], logout_urls=[APP_CALLBACK_SCHEME, web_app_url]),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            id_token_validity=cdk.Duration.minutes(30), access_token_validity=cdk.Duration.minutes(30),
            refresh_token_validity=cdk.Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True, locale=True)
            .with_custom_attributes(*USER_READABLE_CUSTOM),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(**USER_WRITABLE))
        # The hosted UI (sign-in pages, /oauth2/authorize and /oauth2/token) on a Cognito domain;
        # the prefix is globally unique per region, hence the account in it.
        self.domain = self.user_pool.add_domain("HostedUi", cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=f"{names.prefix}-{stack.account}"))
        suppress(self.user_pool,
                 ("AwsSolutions-COG2", "MFA is offered (TOTP) but not required: tenants are occasional "
                  "users reporting a complaint; staff accounts are expected to enrol by policy."),
                 ("AwsSolutions-COG8", "The Plus feature plan (threat protection) is billed per monthly "
                  "active user; the pool holds a few hundred staff and tenants signing in with strong "
                  "passwords and optional TOTP. Revisit when the user count justifies it."),
                 ("AwsSolutions-IAM5", "The SMS role Cognito assumes (with the pool's external id) to send "
                  "invitation texts: sns:Publish to phone numbers, which have no ARN, so the resource is '*'."),
                 children=True)
