"""What the clinic prints about itself on every document: name, address, phones, logo, and the
facts the consent forms fill in (the device used, the usual cost), and what the privacy notice
names: the data protection officer (or contact), the ICO registration number and the processors
the clinic uses (one per line, kept by the administrator).

Kept in the ``settings`` table (the clinic name under the key it has had since the first run;
the logo as base64 PNG). Administrators change them (``MANAGE_CLINIC``, audited); everyone who
prints reads them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import TYPE_CHECKING

from clinicdesk.domain.roles import Permission
from clinicdesk.domain.text import TextError, clean_text
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.clinic import CLINIC_NAME_KEY, ClinicService
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import SiteRow
from clinicdesk.storage.database import write_transaction

if TYPE_CHECKING:
    from clinicdesk.documents.layout import ClinicDetails

LOGO_KEY = "clinic_logo_png"
LOGO_MAX_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SITE_ADDRESS = "site_address"  # errors of a site's address: "site_address:<site id>"
DEFAULT_DEVICE = "Rigeneracons micrografting kit (CE-marked medical device)"


@dataclass(frozen=True)
class ClinicDocumentDetails:
    name: str
    address: str = ""
    phone: str = ""
    out_of_hours_phone: str = ""
    data_protection_contact: str = ""
    device: str = DEFAULT_DEVICE
    cost: str = ""
    ico_registration_number: str = ""
    processors: str = ""  # one per line
    logo_png: bytes | None = None

    @property
    def processor_list(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.processors.splitlines() if line.strip())


# Field -> (settings key, most characters, several lines allowed).
_TEXT_FIELDS: dict[str, tuple[str, int, bool]] = {
    "name": (CLINIC_NAME_KEY, 120, False),
    "address": ("clinic_address", 300, True),
    "phone": ("clinic_phone", 40, False),
    "out_of_hours_phone": ("clinic_out_of_hours_phone", 40, False),
    "data_protection_contact": ("clinic_data_protection_contact", 200, True),
    "device": ("clinic_device", 200, False),
    "cost": ("clinic_cost", 300, True),
    "ico_registration_number": ("clinic_ico_registration_number", 20, False),
    "processors": ("clinic_processors", 2000, True),
}
# What the privacy notice prints about data protection: its effective date follows their changes.
DATA_PROTECTION_FIELDS = ("data_protection_contact", "ico_registration_number", "processors")
# The ICO's registration numbers: Z and seven digits, or Z, a letter and six digits (ZA123456).
ICO_NUMBER = re.compile(r"Z[0-9]{7}|Z[A-Z][0-9]{6}")
PROCESSORS_MAX = 20
PROCESSOR_MAX_LENGTH = 150
LABELS = {
    "name": "Clinic name",
    "address": "Address",
    "phone": "Phone",
    "out_of_hours_phone": "Out-of-hours phone",
    "data_protection_contact": "Data protection officer or contact",
    "device": "Device used",
    "cost": "Usual cost",
    "ico_registration_number": "ICO registration number",
    "processors": "Processors",
    "logo_png": "Logo",
}
_DEFAULTS = {f.name: f.default for f in fields(ClinicDocumentDetails)}


class ClinicDetailsService:
    def __init__(self, clinic: ClinicService) -> None:
        self.clinic = clinic
        self.db = clinic.db
        self.repo = clinic.repo

    def details(self) -> ClinicDocumentDetails:
        """The clinic's details as documents print them (defaults where unset)."""
        values: dict[str, str] = {}
        for field, (key, _most, _lines) in _TEXT_FIELDS.items():
            stored = self.repo.setting(key)
            if stored:
                values[field] = stored
            elif isinstance(_DEFAULTS[field], str):
                values[field] = str(_DEFAULTS[field])
        return ClinicDocumentDetails(**values, logo_png=self._logo())

    def data_protection_changed_on(self) -> date | None:
        """The day (local time) the data-protection details were last changed, if ever."""
        stamps = [
            self.repo.setting_changed_at(_TEXT_FIELDS[field][0]) for field in DATA_PROTECTION_FIELDS
        ]
        days: list[date] = []
        for stamp in stamps:
            if not stamp:
                continue
            try:
                days.append(datetime.fromisoformat(stamp).astimezone().date())
            except ValueError:
                continue  # a damaged timestamp dates nothing
        return max(days, default=None)

    def _logo(self) -> bytes | None:
        stored = self.repo.setting(LOGO_KEY)
        if not stored:
            return None
        try:
            data = base64.b64decode(stored, validate=True)
        except (binascii.Error, ValueError):
            return None  # a damaged setting prints no logo rather than failing every document
        return data if data.startswith(PNG_MAGIC) else None

    def update(
        self,
        acting: CurrentUser,
        raw: Mapping[str, str],
        *,
        logo: bytes | None = None,
        remove_logo: bool = False,
    ) -> ClinicDocumentDetails:
        """Change the details given in ``raw`` (and the logo: a PNG, at most 512 KB).
        Administrators only; one audited update naming the fields changed."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="setting")
        errors: dict[str, str] = {}
        clean: dict[str, str] = {}
        for field, value in raw.items():
            if field not in _TEXT_FIELDS:
                errors[field] = "is not a clinic detail"
                continue
            _key, most, lines = _TEXT_FIELDS[field]
            try:
                clean[field] = clean_text(value, max_length=most, multiline=lines)
            except TextError as exc:
                errors[field] = str(exc)
                continue
            clean[field], problem = _check(field, clean[field])
            if problem:
                errors[field] = problem
        if "name" in clean and not clean["name"]:
            errors["name"] = "is required"
        if logo is not None:
            if not logo.startswith(PNG_MAGIC):
                errors["logo_png"] = "must be a PNG picture (save it as .png and choose it again)"
            elif len(logo) > LOGO_MAX_BYTES:
                errors["logo_png"] = f"must be at most {LOGO_MAX_BYTES // 1024} KB"
        if errors:
            raise ValidationError(errors)
        with write_transaction(self.db):
            for field, value in clean.items():
                self.repo.set_setting(_TEXT_FIELDS[field][0], value, acting.actor)
            changed = sorted(clean)
            if logo is not None:
                self.repo.set_setting(LOGO_KEY, base64.b64encode(logo).decode(), acting.actor)
                changed.append("logo")
            elif remove_logo:
                self.repo.set_setting(LOGO_KEY, "", acting.actor)
                changed.append("logo removed")
            audit.append(
                self.db, acting.actor, "update", "setting", "clinic_details", {"fields": changed}
            )
        return self.details()

    # -- each site's own address (storage.patient_numbers: ``sites.address``) ----------------

    def sites(self) -> list[SiteRow]:
        """The clinic's sites, each with the address printed on what it produces."""
        return self.repo.sites()

    def set_site_addresses(self, acting: CurrentUser, addresses: Mapping[str, str]) -> None:
        """Change the address of each site named in ``addresses`` (site id -> text; empty
        prints the clinic's address). Administrators only; one audited update. A problem is
        reported under ``site_address:<site id>``, and nothing is saved."""
        require(self.db, acting, Permission.MANAGE_CLINIC, entity="setting")
        sites: dict[str, SiteRow] = {site.id: site for site in self.repo.sites()}
        errors: dict[str, str] = {}
        clean: dict[str, str] = {}
        for site_id, value in addresses.items():
            key = f"{SITE_ADDRESS}:{site_id}"
            if site_id not in sites:
                errors[key] = "is not one of the clinic's sites"
                continue
            try:
                clean[site_id] = clean_text(value, max_length=300, multiline=True)
            except TextError as exc:
                errors[key] = str(exc)
        if errors:
            raise ValidationError(errors)
        changed = [site_id for site_id, text in clean.items() if text != sites[site_id].address]
        if not changed:
            return
        with write_transaction(self.db):
            for site_id in changed:
                if not self.repo.set_site_address(sites[site_id], clean[site_id], acting.actor):
                    raise UserError(
                        f"The details of {sites[site_id].name} were changed elsewhere meanwhile "
                        "(perhaps by a sync): open Clinic details again. Nothing was saved."
                    )
            audit.append(
                self.db, acting.actor, "update", "setting", "site_address", {"sites": changed}
            )

    def printed(self, site_id: str) -> ClinicDetails:
        """The clinic as the documents made at ``site_id`` print it: its name and logo, and the
        site's own address and name (the clinic's address where the site has none)."""
        from clinicdesk.documents.layout import ClinicDetails

        details = self.details()
        sites = self.repo.sites()
        site = next((s for s in sites if s.id == site_id), None)
        address = site.address if site is not None and site.address else details.address
        # With one site, its name says nothing the clinic's name does not.
        site_name = site.name if site is not None and len(sites) > 1 else ""
        return ClinicDetails(details.name, address, details.phone, details.logo_png, site_name)


def _check(field: str, value: str) -> tuple[str, str | None]:
    """A field's own rule: ``value`` as it is kept, and what is wrong with it (``None``: all
    is well)."""
    if field == "ico_registration_number":
        number = re.sub(r"\s+", "", value).upper()
        if number and not ICO_NUMBER.fullmatch(number):
            return value, (
                "must be the number on the ICO's register of fee payers: Z and seven digits, "
                "or Z, a letter and six digits (for example ZA123456)"
            )
        return number, None
    if field == "processors":
        names = [line.strip() for line in value.splitlines() if line.strip()]
        if len(names) > PROCESSORS_MAX:
            return value, f"may list at most {PROCESSORS_MAX} processors, one per line"
        folded = [name.casefold() for name in names]
        for line, name in enumerate(names, start=1):
            if len(name) > PROCESSOR_MAX_LENGTH:
                return value, (
                    f"line {line} is too long ({len(name)} characters; the most is "
                    f"{PROCESSOR_MAX_LENGTH}): put one processor on each line"
                )
            if folded[line - 1] in folded[: line - 1]:
                return value, f"line {line} repeats '{name}'"
        return "\n".join(names), None
    return value, None
