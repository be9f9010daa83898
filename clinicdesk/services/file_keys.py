"""The key each kind of encrypted file is sealed with.

Photos, their display and thumbnail caches and the signed consent forms are each sealed with a
subkey of the clinic's data key derived for that one purpose (``keys.derive_subkey``), so one
key never serves two kinds of file. A clinic opened without a data key (not yet encrypted, or
nobody signed in) keeps no such files: asking for a key then is a ``UserError`` saying so.
"""

from __future__ import annotations

from clinicdesk.errors import UserError
from clinicdesk.storage.keys import derive_subkey


def file_key(data_key: bytes | None, purpose: str, what: str) -> bytes:
    """The subkey for ``purpose`` (``"photos"``, ``"consent-files"``...); ``what`` names the
    files in the refusal (``"Photos"``: "Photos can only be kept in an encrypted clinic")."""
    if data_key is None:
        raise UserError(f"{what} can only be kept in an encrypted clinic; sign in first.")
    return derive_subkey(data_key, purpose)
