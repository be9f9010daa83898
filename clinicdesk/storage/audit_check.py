"""Checking the audit trail: the chain of seals, the anchor file, and the sealed records.

``verify_chain`` finds edited, missing, moved or cut entries; ``verify_records`` finds sealed
records (patients, consultations, treatments, adverse events) changed outside the program.
Writing and reading the trail is ``storage.audit``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinicdesk.storage import audit_chains
from clinicdesk.storage.audit import (
    _COLUMNS,
    _SEALED,
    DESTROY_ACTION,
    SEALED_TABLES,
    _entry_mac,
    row_seal,
)
from clinicdesk.storage.audit_anchor import (
    ANCHOR_NAME,
    AUDIT_ANCHORED,
    GENESIS,
    anchor_path,
    head,
    load_anchor,
    local_value,
    recorded_heads,
    stored_audit_key,
    trail_exists,
)
from clinicdesk.storage.database import Database


@dataclass(frozen=True)
class _Stored:
    fields: dict[str, Any]  # everything the seal covers except the previous seal
    prev_hash: str
    seal: str

    @property
    def seq(self) -> int:
        return int(self.fields["seq"])


def _entries_spans(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first} to {last}"


def _runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive runs in ascending ``numbers``: [3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


@dataclass(frozen=True)
class SiteChain:
    """One site's chain as checked: its site, how many entries it holds, what is wrong."""

    site_id: str
    name: str
    entries: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class TrailCheck:
    """Every site's chain, and what is wrong with the trail as a whole (its key, the anchor
    file), which belongs to no one site."""

    sites: list[SiteChain]
    problems: list[str]

    def all_problems(self) -> list[str]:
        """Every problem, each chain's named after its site when the trail holds several."""
        named = len(self.sites) > 1
        return self.problems + [
            f"{site.name}: {problem}" if named else problem
            for site in self.sites
            for problem in site.problems
        ]


def verify_chain(db: Database) -> list[str]:
    """Problems found in the trail, each naming the entries affected (and, when the trail holds
    several sites' chains, the site); empty when intact. See ``verify_sites``."""
    return verify_sites(db).all_problems()


def verify_sites(db: Database) -> TrailCheck:
    """Check every site's chain separately (``storage.audit_chains``).

    In each chain, finds an edited entry (its seal does not match), missing entries (a gap in
    the numbers), entries moved to another place (each seal only matches under its original
    number), an entry that does not follow the one before it (a link replaced), and entries cut
    from the end (the heads kept in ``local_state`` and in the anchor file, per site). One pass
    over each chain holds one entry at a time; the links of every entry are read only if
    something failed. Another site's chain may run past the head last received from it (the
    sync engine adds its entries): only this installation's own chain must end where
    ``local_state`` says.
    """
    key = stored_audit_key(db)
    if key is None:
        if not trail_exists(db):
            return TrailCheck([], [])
        last_seq = head(db)[0]
        ends = f"the trail ends at entry {last_seq}" if last_seq else "the trail is empty"
        return TrailCheck(
            [],
            [
                "the audit key is missing, so no entry can be checked and no new key is made "
                f"({ends}); restore the latest backup"
            ],
        )
    old = audit_chains.legacy(db)
    own = audit_chains.own_site(db)
    anchors, anchor_problems = _anchor_claims(db, key)
    recorded = recorded_heads(db)
    site_ids = audit_chains.sites(db, old)
    for site in [*anchors, *recorded]:
        if site not in site_ids:
            site_ids.append(site)
    names = audit_chains.site_names(db)
    checked = []
    for site in site_ids:
        spec = audit_chains.chain(db, site, old)
        entries, problems = _verify_one(
            db,
            key,
            spec,
            anchors.get(site, {}),
            recorded.get(site),
            own=site == own,
            old=old,
        )
        checked.append(SiteChain(site, names.get(site, f"site {site}"), entries, problems))
    return TrailCheck(checked, anchor_problems)


def _verify_one(
    db: Database,
    key: bytes,
    spec: audit_chains.Chain,
    anchored: dict[int, str],
    recorded: tuple[int, str] | None,
    *,
    own: bool,
    old: audit_chains.Legacy | None,
) -> tuple[int, list[str]]:
    """One chain's entry count and problems."""
    problems: list[tuple[int, str]] = []
    failed: list[_Stored] = []
    broken_links: list[tuple[int, int]] = []  # (entry, the entry before it)
    expected_seq, prev_seal, prev_seq = spec.first_seq, spec.first_prev, spec.first_seq - 1
    last_seq, last_seal, entries = spec.first_seq - 1, spec.first_prev, 0
    for r in audit_chains.iter_rows(db, spec, _COLUMNS):
        entries += 1
        row = _Stored(dict(zip(_SEALED, r[:9], strict=True)), r[9], r[10])
        last_seq, last_seal = row.seq, row.seal
        if _entry_mac(key, row.prev_hash, row.fields) != row.seal:
            failed.append(row)
        gap = row.seq != expected_seq
        if gap:
            one = row.seq - 1 == expected_seq
            cut = (
                f": cut from the end of the trail, where entry {row.seq - 1} had been anchored "
                "as the newest"
                if row.seq - 1 in anchored
                else ""
            )
            problems.append(
                (
                    expected_seq,
                    f"{_entries_spans(expected_seq, row.seq - 1)} {'is' if one else 'are'} "
                    f"missing (next is {row.seq}){cut}",
                )
            )
        elif row.prev_hash != prev_seal:
            # Right after a gap the broken link is the same fact as the gap: not repeated.
            broken_links.append((row.seq, prev_seq))
        expected_seq, prev_seal, prev_seq = row.seq + 1, row.seal, row.seq

    moved: dict[int, int] = {}
    altered: list[int] = []
    origins = _original_numbers(db, failed, spec.first_seq - 1) if failed else {}
    for row in failed:
        origin = origins.get(row.seal)
        if (
            origin is not None
            and origin != row.seq
            and _entry_mac(key, row.prev_hash, {**row.fields, "seq": origin}) == row.seal
        ):
            moved[row.seq] = origin
            problems.append(
                (row.seq, f"entry {row.seq} is out of order: it was written as entry {origin}")
            )
        else:
            altered.append(row.seq)
    for first, last in _runs(altered):
        one = first == last
        problems.append(
            (first, f"{_entries_spans(first, last)} {'was' if one else 'were'} altered")
        )
    # A broken link beside a moved entry is explained by the move.
    unlinked = [seq for seq, before in broken_links if seq not in moved and before not in moved]
    for first, last in _runs(unlinked):
        one = first == last
        problems.append(
            (
                first,
                f"{_entries_spans(first, last)} {'does' if one else 'do'} not follow the entry "
                f"before {'it' if one else 'them'}",
            )
        )
    problems.sort(key=lambda p: p[0])
    return entries, [text for _, text in problems] + _head_problems(
        lambda seq: audit_chains.seal_at(db, spec.site_id, seq, old),
        last_seq if entries else 0,
        last_seal,
        recorded,
        anchored,
        moved_last=last_seq in moved,
        own=own,
    )


def _anchor_claims(db: Database, key: bytes) -> tuple[dict[str, dict[int, str]], list[str]]:
    """The entries the anchor file says were written (each chain's head and the broken heads
    it keeps) by site and number, and what is wrong with the file itself."""
    path = anchor_path(db)
    if path is None:
        return {}, []
    anchors, problem = load_anchor(path, key, audit_chains.own_site(db))
    if problem is not None:
        return {}, [problem]
    if anchors is None:
        empty = db.execute("SELECT 1 FROM audit_log LIMIT 1").fetchone() is None
        if empty and local_value(db, AUDIT_ANCHORED) is None:
            return {}, []
        return {}, [
            f"the anchor file {ANCHOR_NAME} beside the database is missing, so entries cut from "
            "the end could go unnoticed: restore it from the latest backup of the data folder "
            "(an administrator can anchor the trail as it stands with `clinicdesk audit anchor`)"
        ]
    return {
        site: {seq: seal for seq, seal in (*a.broken, (a.seq, a.seal))}
        for site, a in anchors.items()
    }, []


def _original_numbers(db: Database, rows: Sequence[_Stored], before_first: int) -> dict[str, int]:
    """The number each of ``rows`` was written under, counted along the links back to the
    chain's first entry (a link points at the previous entry's seal; the first follows
    ``GENESIS`` and is numbered ``before_first + 1``); absent where a link is broken."""
    before = {
        str(seal): str(prev) for seal, prev in db.execute("SELECT hash, prev_hash FROM audit_log")
    }
    known: dict[str, int | None] = {}
    for row in rows:
        path: list[str] = []
        on_path: set[str] = set()
        seal = row.seal
        base: int | None
        while True:
            if seal in known:
                base = known[seal]
                break
            path.append(seal)
            on_path.add(seal)
            prev = before.get(seal)
            if prev == GENESIS:
                base = before_first
                break
            if prev is None or prev not in before or prev in on_path:
                base = None
                break
            seal = prev
        for item in reversed(path):
            base = None if base is None else base + 1
            known[item] = base
    return {row.seal: n for row in rows if (n := known.get(row.seal)) is not None}


def _head_problems(
    seal_at: Callable[[int], str | None],
    last_seq: int,
    last_seal: str,
    recorded: tuple[int, str] | None,
    anchored: Mapping[int, str],
    *,
    moved_last: bool,
    own: bool,
) -> list[str]:
    """Compare a chain's last entry (``last_seq`` 0: the chain is empty) with the head recorded
    in ``local_state`` and the entries anchored outside the database. Only this installation's
    own chain must end exactly at its recorded head: other sites' chains grow by sync."""
    problems: list[str] = []
    newest = max([*anchored, recorded[0] if recorded else 0])
    if newest > last_seq:
        n = newest - last_seq
        what = "entry is" if n == 1 else f"{n} entries are"
        ends = f"ends at entry {last_seq}" if last_seq else "is empty"
        problems.append(
            f"the newest {what} missing: the trail {ends}, but entry {newest} was written"
        )
    for seq, seal in sorted(anchored.items()):
        if seq > last_seq or recorded == (seq, seal):
            continue  # cut from the end (said above), or the same fact as the recorded head
        found = seal_at(seq)
        # A missing entry is already named as a gap; the newest is compared below as well.
        if found is not None and found != seal and not (seq == last_seq and moved_last):
            problems.append(
                f"entry {seq} is not the entry the anchor file recorded: the trail was rewritten "
                "up to there"
            )
    if recorded is None:
        if last_seq == 0 or not own:
            return problems
        return [
            *problems,
            "the record of the newest entry is missing, so entries cut from the end would go "
            f"unnoticed (the trail ends at entry {last_seq})",
        ]
    head_seq, head_seal = recorded
    if head_seq < last_seq and own:
        one = head_seq + 1 == last_seq
        problems.append(
            f"{_entries_spans(head_seq + 1, last_seq)} {'comes' if one else 'come'} after the "
            f"entry recorded as the newest ({head_seq})"
        )
    if head_seq == last_seq and head_seal != last_seal and not moved_last:
        problems.append(
            f"entry {last_seq} is not the entry recorded as the newest: it was replaced"
        )
    elif not own and head_seq < last_seq:
        found = seal_at(head_seq)
        if found is not None and found != head_seal:
            problems.append(
                f"entry {head_seq} is not the entry last received from this site: the trail "
                "was rewritten up to there"
            )
    return problems


def verify_records(db: Database) -> list[str]:
    """Patients, consultations, treatments and adverse events changed outside ClinicDesk.

    Each entry that created or changed one of these records sealed the row as it left it
    (``_row``); a row that no longer matches its newest seal was changed since by something
    other than ClinicDesk (a direct UPDATE), a sealed row that is gone was deleted so, and a
    row with no ``create`` entry at all was added so. Records last changed before seals were
    recorded are checked only for being added outside. Empty when nothing is found.
    """
    key = stored_audit_key(db)
    if key is None:
        return []
    problems: list[str] = []
    for entity, table in SEALED_TABLES.items():
        label = entity.replace("_", " ")
        newest: dict[str, tuple[int, str]] = {}
        for entity_id, seq, sealed in db.execute(
            "SELECT entity_id, seq, json_extract(detail, '$._row') FROM audit_log "
            "WHERE entity = ? AND json_extract(detail, '$._row') IS NOT NULL "
            "ORDER BY at, site_id, seq",
            [entity],
        ):
            newest[str(entity_id)] = (int(seq), str(sealed))
        # Destroyed under the retention schedule, with its own entry: gone as recorded.
        for (entity_id,) in db.execute(
            "SELECT entity_id FROM audit_log WHERE entity = ? AND action = ?",
            [entity, DESTROY_ACTION],
        ):
            newest.pop(str(entity_id), None)
        for record_id, (seq, sealed) in newest.items():
            now = row_seal(db, key, table, record_id)
            if now is None:
                problems.append(
                    f"{label} {record_id} was deleted without an audit entry (last audited in "
                    f"entry {seq})"
                )
            elif f"{now[0]}:{now[1]}" != sealed:
                version = sealed.partition(":")[0]
                changed = "" if str(now[0]) == version else f", version {version} -> {now[0]}"
                problems.append(
                    f"{label} {record_id} was changed after entry {seq} without an audit entry"
                    f"{changed}"
                )
        for (record_id,) in db.execute(
            f"SELECT id FROM {table} WHERE id NOT IN "
            "(SELECT entity_id FROM audit_log WHERE entity = ? AND action = 'create') ORDER BY id",
            [entity],
        ):
            problems.append(f"{label} {record_id} was added without an audit entry")
    return problems
