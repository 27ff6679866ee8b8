"""The procedure's rules: pure, no AWS, no HTTP, time injected."""
