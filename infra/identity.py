"""Cognito: the user pool, its groups (roles) and the web client."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import RemovalPolicy
from aws_cdk import aws_cognito as cognito
from nag_util import suppress

from chalicelib.resources import ResourceNames

# Cognito attributes an app client may read / let the user write.
USER_READABLE_CUSTOM = ("properties", "department")
USER_WRITABLE = {"fullname": True, "locale": True}
GROUPS = ("tenant", "security", "front_desk", "shift_lead", "dept_staff", "manager", "director", "admin")


class Auth:
    """The user pool (scope in custom attributes, role in groups; prod: deletion protection
    and Retain) and an SRP-only web client that cannot write scope. Created in the stack's
    scope: logical ids stay the deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, prod: bool) -> None:
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
            },
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
        suppress(self.user_pool,
                 ("AwsSolutions-COG2", "MFA is offered (TOTP) but not required: tenants are occasional "
                  "users reporting a complaint; staff accounts are expected to enrol by policy."),
                 ("AwsSolutions-COG8", "The Plus feature plan (threat protection) is billed per monthly "
                  "active user; the pool holds a few hundred staff and tenants signing in with strong "
                  "passwords and optional TOTP. Revisit when the user count justifies it."))
