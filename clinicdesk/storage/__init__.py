"""The only package that knows SQL and the file layout."""
