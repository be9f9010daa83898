"""Two records of one person (registered at two sites before they synced): finding them, and
moving every row of one onto the other.

Pairs are live patients created at different sites with the same NHS number, or the same name
(ignoring case) and date of birth. The rows that move are found from the schema, as the subject
access export finds them (``subject_rows``): every table with a foreign key to ``patients``
(rows of a table whose key points at one of those, an assessment's regions, follow their
parent unchanged). Each moved row is an ordinary edit (``updated_at``, ``updated_by``,
``version`` + 1), so sync carries it. A table that allows one row per patient (the medical
history) keeps the merged-away patient's row on that (archived) record when the kept one has
its own: ``repoint`` names those tables, and nothing is deleted. The audit trail is never
changed (append-only): its entries about either record stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinicdesk.domain.ids import utc_now
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor
from clinicdesk.storage.subject_rows import PATIENTS, SEARCH_TABLES


@dataclass(frozen=True)
class DuplicatePair:
    first_id: str
    second_id: str
    reason: str  # "nhs_number" or "name_and_birth_date"


def duplicate_pairs(db: Database) -> list[DuplicatePair]:
    """Live patients registered at different sites who look like one person, oldest first."""
    live = "deleted_at IS NULL"
    rows = db.execute(
        f"""SELECT a.id, b.id, 'nhs_number' FROM patients a JOIN patients b
              ON a.nhs_number = b.nhs_number AND a.nhs_number != ''
             WHERE a.id < b.id AND a.site_id != b.site_id AND a.{live} AND b.{live}
            UNION
            SELECT a.id, b.id, 'name_and_birth_date' FROM patients a JOIN patients b
              ON lower(a.first_name) = lower(b.first_name)
             AND lower(a.last_name) = lower(b.last_name)
             AND a.date_of_birth = b.date_of_birth
             WHERE a.id < b.id AND a.site_id != b.site_id AND a.{live} AND b.{live}
               AND (a.nhs_number = '' OR b.nhs_number = '' OR a.nhs_number = b.nhs_number)
            ORDER BY 1, 2"""
    ).fetchall()
    seen: set[tuple[str, str]] = set()
    pairs = []
    for first, second, reason in rows:
        if (first, second) not in seen:
            seen.add((first, second))
            pairs.append(DuplicatePair(str(first), str(second), str(reason)))
    return pairs


def patient_tables(db: Database) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to ``patients``, by table name."""
    found = []
    for table in sorted(db.table_names()):
        if table in SEARCH_TABLES or table == PATIENTS:
            continue
        for row in db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            if str(row[2]) == PATIENTS:
                found.append((table, str(row[3])))
    return found


def _one_per_patient(db: Database, table: str, column: str) -> bool:
    for index in db.execute(f'PRAGMA index_list("{table}")').fetchall():
        if not index[2]:  # not unique
            continue
        columns = [str(r[2]) for r in db.execute(f'PRAGMA index_info("{index[1]}")').fetchall()]
        if columns == [column]:
            return True
    return False


def count_rows(db: Database, patient_id: str) -> dict[str, int]:
    """Rows per table that name ``patient_id`` (tables with none left out)."""
    counts = {}
    for table, column in patient_tables(db):
        (n,) = db.execute(
            f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', [patient_id]
        ).fetchone()
        if n:
            counts[table] = int(n)
    return counts


def repoint(
    db: Database, from_id: str, to_id: str, actor: Actor
) -> tuple[dict[str, int], list[str]]:
    """Move every row naming ``from_id`` to ``to_id`` (in the caller's transaction). Returns
    the rows moved per table, and the tables whose row stayed with ``from_id`` because the
    kept record has its own and the table holds one per patient."""
    moved: dict[str, int] = {}
    stayed: list[str] = []
    now = utc_now()
    for table, column in patient_tables(db):
        if _one_per_patient(db, table, column):
            has_own = db.execute(
                f'SELECT 1 FROM "{table}" WHERE "{column}" = ?', [to_id]
            ).fetchone()
            held = db.execute(f'SELECT 1 FROM "{table}" WHERE "{column}" = ?', [from_id]).fetchone()
            if has_own and held:
                stayed.append(table)
                continue
        cursor = db.execute(
            f'UPDATE "{table}" SET "{column}" = ?, updated_at = ?, updated_by = ?, '
            f'version = version + 1 WHERE "{column}" = ?',
            [to_id, now, actor.user_id, from_id],
        )
        if cursor.rowcount:
            moved[table] = cursor.rowcount
    return moved, stayed


def file_shas(db: Database, patient_id: str) -> list[tuple[str, str]]:
    """(store, sha256) of the photo and consent files sealed to ``patient_id``."""
    found: list[tuple[str, str]] = []
    for (sha,) in db.execute("SELECT sha256 FROM photos WHERE patient_id = ?", [patient_id]):
        found.append(("photos", str(sha)))
    for signature, scan in db.execute(
        "SELECT signature_sha256, scan_sha256 FROM consents WHERE patient_id = ?", [patient_id]
    ):
        found += [("consents", str(sha)) for sha in (signature, scan) if sha]
    return sorted(set(found))
