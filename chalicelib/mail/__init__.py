"""Inbound e-mail: turning raw SES messages into the raw material of a case."""
