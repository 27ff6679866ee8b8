"""The HTTP edge: request parsing, errors to responses, OpenAPI, route blueprints, the console."""
