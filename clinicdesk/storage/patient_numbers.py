"""Patient numbers and site addresses in SQL (migration 0013; ``domain.patient_numbers``).

``sites`` gains ``number_prefix`` (the site's letters, fixed when it is made) and ``address``
(printed at the top of every document the site produces). ``patients`` gains
``patient_number`` (unique) and ``patient_number_seq``: the count within the site that
registered the patient (``site_id``, never changed after the insert), indexed with it so the
next number is one index look-up even at 100,000 patients. Sync carries both columns like any
other; a number is never changed after it is given, so it never conflicts. A further
workstation at a site counts under a prefix of its own (``workstation_prefix``: "MB" beside the
main clinic's first PC's "M"), so two PCs of one site never give the same number either.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from clinicdesk.domain.ids import utc_now
from clinicdesk.domain.patient_numbers import DIGITS, format_patient_number, site_prefix
from clinicdesk.storage import audit_chains
from clinicdesk.storage.driver import sqlite3

if TYPE_CHECKING:
    import sqlite_utils

    from clinicdesk.storage.database import Database

MIGRATION_NAME = "0013_patient_numbers"
SCHEMA = [
    "ALTER TABLE sites ADD COLUMN number_prefix TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE sites ADD COLUMN address TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE patients ADD COLUMN patient_number TEXT",
    "ALTER TABLE patients ADD COLUMN patient_number_seq INTEGER CHECK (patient_number_seq >= 1)",
]
INDEXES = [
    "CREATE UNIQUE INDEX patients_by_number ON patients (patient_number)",
    "CREATE INDEX patients_by_site_number ON patients (site_id, patient_number_seq)",
]


def migrate(db: sqlite_utils.Database) -> None:
    """Add the columns, give every site a prefix (main site first, then by creation) and
    number the existing patients of each site in the order they were registered: one UPDATE
    with a window function, so 100,000 patients take a moment."""
    for statement in SCHEMA:
        db.execute(statement)
    taken: list[str] = []
    sites = db.execute(
        "SELECT id, name FROM sites ORDER BY kind = 'satellite', created_at, id"
    ).fetchall()
    prefixes: list[tuple[str, str]] = []
    for site_id, name in sites:
        prefix = site_prefix(str(name), taken)
        taken.append(prefix)
        prefixes.append((str(site_id), prefix))
    # A patient whose site row is missing (never made by this program) still gets a number.
    orphans = db.execute(
        "SELECT DISTINCT site_id FROM patients WHERE site_id NOT IN (SELECT id FROM sites) "
        "ORDER BY site_id"
    ).fetchall()
    for (site_id,) in orphans:
        prefix = site_prefix("X", taken)
        taken.append(prefix)
        prefixes.append((str(site_id), prefix))
    for site_id, prefix in prefixes:
        db.execute("UPDATE sites SET number_prefix = ? WHERE id = ?", [prefix, site_id])
    db.execute("CREATE TEMP TABLE number_prefixes (site_id TEXT PRIMARY KEY, prefix TEXT)")
    for site_id, prefix in prefixes:
        db.execute("INSERT INTO temp.number_prefixes VALUES (?, ?)", [site_id, prefix])
    db.execute(
        f"""UPDATE patients
               SET patient_number_seq = numbered.seq,
                   patient_number = numbered.prefix || '-' || printf('%0{DIGITS}d', numbered.seq)
              FROM (SELECT p.id, n.prefix,
                           row_number() OVER (PARTITION BY p.site_id
                                              ORDER BY p.created_at, p.id) AS seq
                      FROM patients p JOIN temp.number_prefixes n ON n.site_id = p.site_id
                   ) AS numbered
             WHERE numbered.id = patients.id"""
    )
    db.execute("DROP TABLE temp.number_prefixes")
    for statement in INDEXES:
        db.execute(statement)


def next_patient_number(db: Database, site_id: str) -> tuple[str, int]:
    """The number the next patient registered at ``site_id`` gets, and its count within the
    site (in the caller's write transaction, beside the insert)."""
    row: Any = db.execute("SELECT number_prefix FROM sites WHERE id = ?", [site_id]).fetchone()
    prefix = str(row[0]) if row is not None and row[0] else ""
    if not prefix:  # a site made before prefixes existed, or not in this database
        prefix = ensure_prefix(db, site_id)
    prefix = workstation_prefix(db, site_id, prefix)
    # The latest of this prefix's numbers: the site's index read from its highest count down,
    # stopping at the first of ours (another workstation's at the site counts apart).
    last = db.execute(
        "SELECT patient_number_seq FROM patients WHERE site_id = ? AND patient_number_seq "
        "IS NOT NULL AND substr(patient_number, 1, ?) = ? ORDER BY patient_number_seq DESC "
        "LIMIT 1",
        [site_id, len(prefix) + 1, f"{prefix}-"],
    ).fetchone()
    sequence = int(last[0] if last is not None else 0) + 1
    return format_patient_number(prefix, sequence), sequence


def workstation_prefix(db: Database, site_id: str, site_prefix_: str) -> str:
    """The prefix this installation numbers under: the site's, or for a further workstation at
    the site (``storage.audit_chains``: it writes a chain of its own) the site's and a letter,
    B for workstation 2, C for 3 ... ("MB-00001"), skipping any letter that would make
    another site's prefix. Two workstations of a site register patients offline and sync later:
    counting under one prefix they would hand out the same number twice."""
    chain = db.execute(
        "SELECT value FROM local_state WHERE key = ?", [audit_chains.CHAIN_KEY]
    ).fetchone()
    if chain is None or str(chain[0]) == site_id:
        return site_prefix_
    try:
        row = db.execute(
            "SELECT label FROM installations WHERE audit_chain = ?", [str(chain[0])]
        ).fetchone()
    except sqlite3.OperationalError:  # before migration 0012
        row = None
    digits = re.search(r"\d+", str(row[0])) if row is not None else None
    ordinal = int(digits.group()) if digits else 2
    taken = {str(r[0]) for r in db.execute("SELECT number_prefix FROM sites") if r[0]}
    letters = [f"{site_prefix_}{letter}" for letter in "BCDEFGHIJKLMNOPQRSTUVWXYZ"]
    free = [candidate for candidate in letters if candidate not in taken]
    return free[(ordinal - 2) % len(free)]


def ensure_prefix(db: Database, site_id: str) -> str:
    """Give ``site_id`` a prefix if it has none (an ordinary edit of its row, so sync carries
    it); a site this database does not hold gets the same one each time, unstored."""
    taken = [
        str(r[0])
        for r in db.execute("SELECT number_prefix FROM sites WHERE id != ?", [site_id])
        if r[0]
    ]
    row: Any = db.execute("SELECT name FROM sites WHERE id = ?", [site_id]).fetchone()
    prefix = site_prefix(str(row[0]) if row is not None else "X", taken)
    if row is not None:
        db.execute(
            "UPDATE sites SET number_prefix = ?, updated_at = ?, version = version + 1 "
            "WHERE id = ?",
            [prefix, utc_now(), site_id],
        )
    return prefix
