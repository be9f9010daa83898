"""Versioned templates: the bundled wording, the released-hash manifest, old versions kept."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from clinicdesk.documents.templates import (
    CONSENT_PACK,
    Bullets,
    Fields,
    Scopes,
    Signatures,
    TemplateError,
    TemplateLibrary,
    UnknownTemplate,
    WriteIn,
    parse_body,
    parse_template,
)
from clinicdesk.errors import UserError
from clinicdesk.paths import resources_dir
from tests.documents.pdf_helpers import copy_templates

BUNDLED_IDS = [
    "aftercare",
    "data-protection",
    "micrograft-consent",
    "photo-consent",
    "pre-treatment",
]


def _release(root: Path, template_id: str, version: int) -> None:
    """Add a version file's hash to the manifest, as a developer releasing it would."""
    manifest = json.loads((root / "manifest.json").read_text())
    digest = hashlib.sha256((root / template_id / f"v{version}.md").read_bytes()).hexdigest()
    manifest["templates"].append({"id": template_id, "version": version, "sha256": digest})
    (root / "manifest.json").write_text(json.dumps(manifest))


def _new_version(root: Path, template_id: str, replace: str, by: str) -> int:
    """Release a new wording after the current one; its version number."""
    current = TemplateLibrary(root).current(template_id).version
    text = (root / template_id / f"v{current}.md").read_text(encoding="utf-8")
    assert replace in text
    text = text.replace(f"version: {current}\n", f"version: {current + 1}\n", 1)
    (root / template_id / f"v{current + 1}.md").write_bytes(text.replace(replace, by).encode())
    _release(root, template_id, current + 1)
    return current + 1


def test_the_bundled_templates_are_all_released_and_unchanged() -> None:
    library = TemplateLibrary()
    assert library.ids() == BUNDLED_IDS
    assert library.verify() == []  # the message names any changed or unreleased file
    assert set(CONSENT_PACK) <= set(library.ids())
    for template_id in library.ids():
        template = library.current(template_id)
        path = resources_dir() / "templates" / template_id / f"v{template.version}.md"
        assert template.text_hash == hashlib.sha256(path.read_bytes()).hexdigest()
        assert template.id == template_id and template.title
        assert "{{" not in template.title


def test_an_edited_released_version_is_refused(tmp_path: Path) -> None:
    root = copy_templates(tmp_path)
    path = root / "photo-consent" / "v1.md"
    path.write_bytes(path.read_bytes().replace(b"marketing", b"marketting", 1))
    library = TemplateLibrary(root)
    with pytest.raises(TemplateError) as caught:
        library.current("photo-consent")
    assert "changed since it was released" in caught.value.message
    assert [problem for problem in library.verify() if "photo-consent/v1.md" in problem]
    assert library.get("aftercare", 1).id == "aftercare"  # the others still load
    assert library.current("aftercare").id == "aftercare"


def test_a_line_ending_change_alone_is_an_edit(tmp_path: Path) -> None:
    root = copy_templates(tmp_path)
    path = root / "aftercare" / "v1.md"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(TemplateError):
        TemplateLibrary(root).get("aftercare", 1)


def test_a_new_wording_is_a_new_version_and_the_old_one_stays_loadable(tmp_path: Path) -> None:
    root = copy_templates(tmp_path)
    old = TemplateLibrary(root).current("aftercare")
    new_version = _new_version(root, "aftercare", "for 2 weeks", "for 3 weeks")
    library = TemplateLibrary(root)
    current = library.current("aftercare")
    assert current.version == new_version == old.version + 1
    assert "for 3 weeks" in current.body
    assert current.text_hash != old.text_hash
    assert library.get("aftercare", old.version) == old
    assert [t.version for t in library.versions("aftercare")] == list(range(1, new_version + 1))


def test_an_unreleased_version_file_is_reported_and_not_used(tmp_path: Path) -> None:
    root = copy_templates(tmp_path)
    released = TemplateLibrary(root).current("pre-treatment")
    following = released.version + 1
    text = (root / "pre-treatment" / f"v{released.version}.md").read_text()
    (root / "pre-treatment" / f"v{following}.md").write_text(
        text.replace(f"version: {released.version}", f"version: {following}")
    )
    library = TemplateLibrary(root)
    assert library.current("pre-treatment").version == released.version
    problems = library.verify()
    assert len(problems) == 1
    assert f"pre-treatment/v{following}.md is not in manifest.json" in problems[0]
    assert '"sha256": "' in problems[0]  # the line to add to the manifest


def test_unknown_templates_and_versions_are_clear_user_errors() -> None:
    library = TemplateLibrary()
    with pytest.raises(UnknownTemplate) as caught:
        library.current("hair-transplant-consent")
    assert isinstance(caught.value, UserError)
    assert "hair-transplant-consent" in caught.value.message
    assert "micrograft-consent" in caught.value.message  # says which ones there are
    with pytest.raises(UnknownTemplate):
        library.get("aftercare", 99)


def test_a_file_whose_header_names_another_template_is_refused(tmp_path: Path) -> None:
    root = copy_templates(tmp_path)
    path = root / "aftercare" / "v1.md"
    path.write_text(path.read_text().replace("id: aftercare", "id: pre-treatment"))
    manifest = json.loads((root / "manifest.json").read_text())
    for entry in manifest["templates"]:
        if (entry["id"], entry["version"]) == ("aftercare", 1):
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TemplateError, match="says it is 'pre-treatment'"):
        TemplateLibrary(root).get("aftercare", 1)


def test_a_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="missing or damaged"):
        TemplateLibrary(tmp_path).ids()


@pytest.mark.parametrize(
    "body",
    [
        "Hello {{Name}}",  # not a placeholder name
        "Hello {{name",
        "Some **bold text",
        "::signatures patient surgeon",
        "::fields\nno bar here",
        "::frobnicate",
        "#Heading without a space",
    ],
)
def test_malformed_markup_is_refused_not_half_printed(body: str) -> None:
    with pytest.raises(TemplateError):
        parse_body(body)


def test_the_procedure_consent_holds_what_clinical_md_requires() -> None:
    template = TemplateLibrary().current("micrograft-consent")
    body = template.body.lower()
    risks = [
        "pain",
        "bleeding",
        "bruising",
        "infection",
        "scarring at the donor site",
        "keloid",
        "swelling",
        "headache",
        "reaction to the local anaesthetic",
        "temporary shedding",
        "failure to achieve the desired aim",
    ]
    alternatives = [
        "minoxidil",
        "finasteride or dutasteride",
        "anti-androgens",
        "platelet-rich plasma",
        "laser",
        "hair transplant",
        "camouflage",
        "no treatment",
    ]
    for phrase in [*risks, *alternatives]:
        assert phrase in body, phrase
    for phrase in ["1 week", "1 month", "3 months", "6 months", "12 months"]:
        assert phrase in body, phrase
    # The honest published figures, and the right to withdraw and to reflect.
    for phrase in ["4.5 to 7.1", "66%", "withdraw your consent", "cooling-off"]:
        assert phrase in body, phrase
    assert {
        "clinician_name",
        "clinician_registration",
        "consultation_date",
        "decision_date",
        "device",
        "cost",
        "risks_discussed",
        "alternatives_discussed",
        "patient_questions",
    } <= template.placeholders
    signatures = [b for b in template.blocks if isinstance(b, Signatures)]
    roles = {role for block in signatures for role in block.roles}
    assert {"patient", "treating-clinician", "witness", "interpreter"} <= roles
    assert any(isinstance(b, WriteIn) for b in template.blocks)


def test_the_photo_consent_has_three_independent_scopes() -> None:
    template = TemplateLibrary().current("photo-consent")
    (scopes,) = [b for b in template.blocks if isinstance(b, Scopes)]
    assert [title for title, _ in scopes.rows] == [
        "Clinical record",
        "Anonymised teaching",
        "Identifiable marketing",
    ]
    assert "will never affect your treatment" in template.body
    assert not [b for b in template.blocks if isinstance(b, Fields)]


# -- issue 15: the stronger consent wording, in new versions beside the old ones -------------------

WITHDRAWAL = (
    "withdraw {} consent at any time before or during the treatment, without giving a reason"
)


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.replace("**", "").split())
    return [s for s in re.split(r"(?<=[.;:])\s+|\n", flat) if s]


def test_the_new_procedure_consent_is_honest_about_what_is_not_known() -> None:
    library = TemplateLibrary()
    current = library.current("micrograft-consent")
    assert current.version >= 2
    body = " ".join(current.body.split())
    for phrase in (
        "relatively new treatment",
        "long-term results are unknown",
        "This was an uncontrolled series",
        "Zari, 2021: 140 men and women",
        "66%",
        "Numbness or altered sensation",
    ):
        assert phrase in body, phrase
    # Every risk says how often it happens, or that this is not known.
    (risks,) = [
        block
        for block in current.blocks
        if isinstance(block, Bullets) and "Pain or discomfort" in block.items[0][0].text
    ]
    words = ("common", "uncommon", "rare", "not known", "almost everyone", "1 in 3", "always")
    for item in risks.items:
        text = "".join(run.text for run in item).lower()
        assert any(word in text for word in words), text
    assert len(risks.items) == 11
    # The old wording is still there, for the consents signed on it.
    assert "at any time before or during the procedure" in library.get("micrograft-consent", 1).body


@pytest.mark.parametrize("template_id", ["micrograft-consent", "pre-treatment"])
def test_the_right_to_withdraw_is_worded_one_way_everywhere(template_id: str) -> None:
    template = TemplateLibrary().current(template_id)
    # Every sentence saying when the patient may withdraw, or change their mind.
    when = re.compile(r"\b(may|can)\b.*\b(withdraw|change (your|my) mind|cancel)", re.IGNORECASE)
    about_withdrawing = [s for s in _sentences(template.body) if when.search(s)]
    assert about_withdrawing
    for sentence in about_withdrawing:
        assert WITHDRAWAL.format("your") in sentence or WITHDRAWAL.format("my") in sentence, (
            sentence
        )


def test_the_new_privacy_notice_has_what_uk_gdpr_asks_for() -> None:
    notice = TemplateLibrary().current("data-protection")
    assert notice.version >= 2 and notice.effective_on is not None
    assert {
        "data_protection_contact",
        "ico_registration_number",
        "processors",
        "notice_effective_date",
    } <= notice.placeholders
    body = " ".join(notice.body.split())
    for phrase in (
        "Article 9",
        "9(2)(h)",
        "9(2)(i)",
        "MHRA",
        "If you do not give us information",
        "Appointment reminders and marketing messages",
        "This notice takes effect on",
    ):
        assert phrase in body, phrase


def test_a_bad_effective_date_is_refused_when_loaded() -> None:
    data = b"id: x\nversion: 1\ntitle: X\neffective: 7 December\n---\nText\n"
    with pytest.raises(TemplateError, match="effective date must be YYYY-MM-DD"):
        parse_template(data, "0" * 64)
