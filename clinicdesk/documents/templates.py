"""Versioned document templates: the wording of consent forms and information sheets.

The text lives in ``resources/templates/<template-id>/v<N>.md``, never in code. A signed consent
points at a template id, a version and the sha256 of that version file's exact bytes, so a
version, once released, must never change: a new wording is a new file (``v2.md``), and every
old version stays loadable for as long as the records that point at it. ``manifest.json`` lists
every released version with its sha256; a file whose bytes no longer match is refused, so an
accidental edit of signed wording fails loudly (in the tests first) instead of silently changing
what patients are recorded as having signed. A version file not in the manifest is not used.

A file is a few ``key: value`` header lines (``id``, ``version``, ``title``, and optionally
``effective``: the ISO date the wording takes effect, which a notice prints), a ``---`` line, and
a body in a small markup of our own, parsed here into blocks (see ``resources/templates/
README.md``). Parsing at load time means a malformed template is refused when it is loaded (and
by the tests), not half-printed. This module knows nothing about PDFs; ``forms`` renders blocks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from clinicdesk.errors import NotFound, UserError
from clinicdesk.paths import resources_dir

MANIFEST = "manifest.json"

# The documents reception prints for a booked patient, in the order they are printed.
CONSENT_PACK: tuple[str, ...] = (
    "micrograft-consent",
    "photo-consent",
    "data-protection",
    "pre-treatment",
)

_TEMPLATE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.md")
PLACEHOLDER = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
# Inline pieces of a line: **bold** (which may hold placeholders) and {{placeholder}}.
_INLINE = re.compile(r"\*\*(.+?)\*\*|\{\{([a-z][a-z0-9_]*)\}\}")

# Who signs where (``::signatures`` roles). Witness and interpreter boxes say "if present".
SIGNATURE_ROLES: tuple[str, ...] = (
    "patient",
    "treating-clinician",
    "clinician",
    "witness",
    "interpreter",
    "confirmation",
    "withdrawal",
)


class TemplateError(UserError):
    """A template file is missing, malformed, or no longer matches its released hash."""


class UnknownTemplate(NotFound):
    """No template (or no such version of one) is installed."""


# -- blocks: what a template body is made of -----------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A piece of one line of text: literal text, or a placeholder name; either may be bold."""

    text: str
    bold: bool = False
    placeholder: bool = False


Line = tuple[Run, ...]


@dataclass(frozen=True)
class Heading:
    level: int  # 1 for "#", 2 for "##"
    text: Line


@dataclass(frozen=True)
class Text:
    text: Line


@dataclass(frozen=True)
class Bullets:
    items: tuple[Line, ...]


@dataclass(frozen=True)
class TickBoxes:
    """Statements the reader ticks, each with its own box."""

    items: tuple[Line, ...]


@dataclass(frozen=True)
class Callout:
    """A short statement printed in a shaded box so it cannot be missed."""

    text: Line


@dataclass(frozen=True)
class Fields:
    """Labelled values in a two-column grid; a missing value is a line to write on."""

    rows: tuple[tuple[str, Line], ...]


@dataclass(frozen=True)
class Scopes:
    """Separate yes/no choices, each with its own date and a withdrawal date."""

    rows: tuple[tuple[str, Line], ...]


@dataclass(frozen=True)
class WriteIn:
    """A free-text field on its own: its value, or ``lines`` ruled lines to write on."""

    placeholder: str
    lines: int


@dataclass(frozen=True)
class Signatures:
    roles: tuple[str, ...]


@dataclass(frozen=True)
class NewPage:
    """What follows starts on a new page (unless the page is still empty), e.g. the
    statements and signatures, so that they are never split from each other."""


Block = (
    Heading
    | Text
    | Bullets
    | TickBoxes
    | Callout
    | Fields
    | Scopes
    | WriteIn
    | Signatures
    | NewPage
)


@dataclass(frozen=True)
class Template:
    id: str
    version: int
    title: str
    body: str
    text_hash: str
    blocks: tuple[Block, ...] = field(default=(), repr=False, compare=False)
    effective_on: date | None = None  # when this wording takes effect (``effective:``)

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits, as printed in the footer of every page."""
        return self.text_hash[:12]

    @property
    def placeholders(self) -> frozenset[str]:
        """Every field the body uses (``{{name}}`` and ``::writein name``): what a caller may
        fill in."""
        write_ins = {block.placeholder for block in self.blocks if isinstance(block, WriteIn)}
        return frozenset(PLACEHOLDER.findall(self.body)) | write_ins


# -- the library ---------------------------------------------------------------------------------


class TemplateLibrary:
    """The released templates under ``root`` (by default the bundled ``resources/templates``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else resources_dir() / "templates"
        self._released: dict[str, dict[int, str]] | None = None
        self._loaded: dict[tuple[str, int], Template] = {}

    def ids(self) -> list[str]:
        return sorted(self._manifest())

    def versions(self, template_id: str) -> list[Template]:
        return [self.get(template_id, v) for v in sorted(self._versions_of(template_id))]

    def current(self, template_id: str) -> Template:
        """The newest released version: the one printed for a new consent."""
        return self.get(template_id, max(self._versions_of(template_id)))

    def get(self, template_id: str, version: int) -> Template:
        key = (template_id, version)
        if key in self._loaded:
            return self._loaded[key]
        expected = self._versions_of(template_id).get(version)
        if expected is None:
            raise UnknownTemplate(f"Version {version} of the template '{template_id}' is unknown.")
        path = self.root / template_id / f"v{version}.md"
        try:
            data = path.read_bytes()
        except OSError as error:
            raise TemplateError(
                f"The template file {path} cannot be read ({error.strerror or error}). "
                "Reinstall ClinicDesk."
            ) from error
        text_hash = hashlib.sha256(data).hexdigest()
        if text_hash != expected:
            raise TemplateError(
                f"The template file {template_id}/v{version}.md has been changed since it was "
                f"released (sha256 {text_hash}, expected {expected}). Signed consents point at "
                "the released wording: restore the file, and put a new wording in a new version."
            )
        template = parse_template(data, text_hash, where=f"{template_id}/v{version}.md")
        if (template.id, template.version) != key:
            raise TemplateError(
                f"The template file {template_id}/v{version}.md says it is "
                f"'{template.id}' version {template.version}."
            )
        self._loaded[key] = template
        return template

    def verify(self) -> list[str]:
        """Every problem with the installed templates, in words; empty when all is well.

        Checks each released version loads and matches its hash, and that no version file is
        lying unreleased (a new wording someone forgot to add to the manifest).
        """
        problems: list[str] = []
        released = self._manifest()
        for template_id, versions in sorted(released.items()):
            for version in sorted(versions):
                try:
                    self.get(template_id, version)
                except UserError as error:
                    problems.append(error.message)
        for path in sorted(self.root.glob("*/v*.md")):
            match = _VERSION_FILE.fullmatch(path.name)
            template_id = path.parent.name
            if match is None or int(match.group(1)) not in released.get(template_id, {}):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                problems.append(
                    f"{template_id}/{path.name} is not in {MANIFEST} "
                    f'(add {{"id": "{template_id}", "version": '
                    f'{match.group(1) if match else "?"}, "sha256": "{digest}"}})'
                )
        return problems

    def _versions_of(self, template_id: str) -> dict[int, str]:
        released = self._manifest()
        if template_id not in released:
            known = ", ".join(sorted(released)) or "none"
            raise UnknownTemplate(
                f"There is no document template called '{template_id}'. Known templates: {known}."
            )
        return released[template_id]

    def _manifest(self) -> dict[str, dict[int, str]]:
        if self._released is None:
            self._released = _read_manifest(self.root / MANIFEST)
        return self._released


def _read_manifest(path: Path) -> dict[str, dict[int, str]]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["templates"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TemplateError(
            f"The template list {path} is missing or damaged ({error}). Reinstall ClinicDesk."
        ) from error
    released: dict[str, dict[int, str]] = {}
    for entry in entries:
        template_id, version, digest = entry.get("id"), entry.get("version"), entry.get("sha256")
        if (
            not isinstance(template_id, str)
            or not _TEMPLATE_ID.fullmatch(template_id)
            or not isinstance(version, int)
            or version < 1
            or not isinstance(digest, str)
            or not re.fullmatch(r"[0-9a-f]{64}", digest)
        ):
            raise TemplateError(f"{path} has an invalid entry: {entry!r}")
        if version in released.setdefault(template_id, {}):
            raise TemplateError(f"{path} lists {template_id} version {version} twice.")
        released[template_id][version] = digest
    return released


# -- parsing -------------------------------------------------------------------------------------


def parse_template(data: bytes, text_hash: str, *, where: str = "template") -> Template:
    """A template from the exact bytes of its file (``text_hash`` is their sha256)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TemplateError(f"{where} is not UTF-8 text ({error}).") from error
    if "\r" in text or text.startswith("\ufeff"):
        raise TemplateError(f"{where} must use plain LF line endings and no byte-order mark.")
    head, separator, body = text.partition("\n---\n")
    if not separator:
        raise TemplateError(f"{where} has no '---' line after its header.")
    header: dict[str, str] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise TemplateError(f"{where}: header line '{line}' is not 'key: value'.")
        header[key.strip()] = value.strip()
    missing = {"id", "version", "title"} - header.keys()
    if missing:
        raise TemplateError(f"{where}: the header lacks {', '.join(sorted(missing))}.")
    if not _TEMPLATE_ID.fullmatch(header["id"]) or not header["version"].isdigit():
        raise TemplateError(f"{where}: bad id or version in the header.")
    effective_on: date | None = None
    if "effective" in header:
        try:
            effective_on = date.fromisoformat(header["effective"])
        except ValueError:
            raise TemplateError(
                f"{where}: the header's effective date must be YYYY-MM-DD, "
                f"not '{header['effective']}'."
            ) from None
    blocks = parse_body(body, where=where)
    return Template(
        id=header["id"],
        version=int(header["version"]),
        title=header["title"],
        body=body,
        text_hash=text_hash,
        blocks=blocks,
        effective_on=effective_on,
    )


def parse_body(body: str, *, where: str = "template") -> tuple[Block, ...]:
    """The blocks of a template body; see resources/templates/README.md for the markup."""
    blocks: list[Block] = []
    lines = body.split("\n")
    i = 0

    def fail(message: str) -> TemplateError:
        return TemplateError(f"{where}, line {i + 1}: {message}")

    def gather(prefix: str) -> list[str]:
        """Consecutive items starting with ``prefix``; lines indented by two spaces continue."""
        nonlocal i
        items: list[str] = []
        while i < len(lines):
            line = lines[i]
            if line.startswith(prefix):
                items.append(line[len(prefix) :].strip())
            elif line.startswith("  ") and line.strip() and items:
                items[-1] += " " + line.strip()
            else:
                break
            i += 1
        return items

    def table_rows() -> list[tuple[str, Line]]:
        nonlocal i
        rows: list[tuple[str, Line]] = []
        while i < len(lines) and lines[i].strip():
            label, bar, value = lines[i].partition("|")
            if not bar or not label.strip():
                raise fail("each row must be 'Label | text'")
            rows.append((label.strip(), _inline(value.strip(), fail)))
            i += 1
        if not rows:
            raise fail("a table needs at least one 'Label | text' row")
        return rows

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
        elif line.startswith("## "):
            blocks.append(Heading(2, _inline(line[3:].strip(), fail)))
            i += 1
        elif line.startswith("# "):
            blocks.append(Heading(1, _inline(line[2:].strip(), fail)))
            i += 1
        elif line.startswith("- "):
            blocks.append(Bullets(tuple(_inline(item, fail) for item in gather("- "))))
        elif line.startswith("[ ] "):
            blocks.append(TickBoxes(tuple(_inline(item, fail) for item in gather("[ ] "))))
        elif line.startswith("> "):
            blocks.append(Callout(_inline(" ".join(gather("> ")), fail)))
        elif line.startswith("::"):
            directive, *arguments = stripped[2:].split()
            i += 1
            if directive == "fields" and not arguments:
                blocks.append(Fields(tuple(table_rows())))
            elif directive == "scopes" and not arguments:
                blocks.append(Scopes(tuple(table_rows())))
            elif directive == "signatures" and arguments:
                unknown = set(arguments) - set(SIGNATURE_ROLES)
                if unknown:
                    raise fail(f"unknown signature role(s): {', '.join(sorted(unknown))}")
                blocks.append(Signatures(tuple(arguments)))
            elif directive == "newpage" and not arguments:
                blocks.append(NewPage())
            elif directive == "writein" and len(arguments) in (1, 2):
                name = arguments[0]
                count = arguments[1] if len(arguments) == 2 else "4"
                if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not count.isdigit():
                    raise fail("write 'writein NAME [LINES]'")
                blocks.append(WriteIn(name, max(1, min(int(count), 12))))
            else:
                raise fail(f"unknown or malformed directive '{stripped}'")
        elif line.startswith(("#", "[", "::", ">")) and not line.startswith("[["):
            raise fail(f"'{stripped[:20]}' looks like markup but is not any known kind of line")
        else:
            paragraph: list[str] = []
            while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
                paragraph.append(lines[i].strip())
                i += 1
            blocks.append(Text(_inline(" ".join(paragraph), fail)))
    return tuple(blocks)


def _starts_block(line: str) -> bool:
    return line.startswith(("# ", "## ", "- ", "[ ] ", "> ", "::"))


def _inline(text: str, fail: Callable[[str], TemplateError]) -> Line:
    """Split a line into runs of text, **bold** text and {{placeholders}}."""
    runs: list[Run] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            runs.append(Run(text[position : match.start()]))
        if match.group(1) is not None:
            for inner in _inline(match.group(1), fail):
                runs.append(Run(inner.text, bold=True, placeholder=inner.placeholder))
        else:
            runs.append(Run(match.group(2), placeholder=True))
        position = match.end()
    if position < len(text):
        runs.append(Run(text[position:]))
    for run in runs:
        if not run.placeholder and ("{{" in run.text or "}}" in run.text or "**" in run.text):
            raise fail(f"stray '{{{{', '}}}}' or '**' in: {text[:60]}")
    return tuple(runs)
