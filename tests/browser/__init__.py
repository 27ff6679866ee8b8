"""Browser tests: a package, so their module names (test_keys, ...) never clash with the
domain and service tests of the same name."""
