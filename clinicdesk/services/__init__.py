"""Use cases: the one API the GUI and the CLI call. Permission checks, transactions, audit."""
