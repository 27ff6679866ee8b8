"""Tenantdesk domain and adapters. Nothing here imports HTTP concerns."""
