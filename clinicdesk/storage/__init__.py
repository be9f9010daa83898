"""The only package that knows SQL and the file layout."""

# First, before anything imports sqlite-utils: make it use SQLCipher's driver (see driver.py).
from clinicdesk.storage import driver as _driver  # noqa: F401
