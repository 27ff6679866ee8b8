"""One service per capability; storage only through services.ports."""
