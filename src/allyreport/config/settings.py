"""The settings file, `allyreport.toml`: a typed schema that documents itself.

It is looked for in the working directory (as mkdocs.yml is) or given with `--config`.
Paths in it are relative to the file. Every field has a default, so no file is needed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, StrictBool, StrictInt

from ..core.diagnostics import Diagnostic
from ..core.strict import Strict, Text, validate

SETTINGS_FILE = "allyreport.toml"


class SettingsSpec(Strict):
    firm: Text = Field("Our firm", description="Firm name shown on covers and page headers.")
    notes: Text = Field("notes", description="The notes folder.")
    output: Text = Field("output", description="Where the site and PDFs are written.")
    templates: Text | None = Field(None, description="A folder of templates/CSS overriding the defaults.")
    rules: tuple[Text, ...] = Field((), description="Rules files merged over the shipped rules, in order.")
    model: Text | None = Field(None, description="Active level model (default: the rules' default_model).")
    page_size: Literal["A4", "Letter"] = Field("A4", description="PDF page size.")
    pdf_variant: Literal["pdf/ua-1", "pdf/a-3b"] = Field("pdf/ua-1", description="PDF flavour: tagged (UA-1) or archival (A-3b).")
    language: Text = Field("en", description="Document language of the pages and PDFs.")
    max_note_kib: StrictInt = Field(256, ge=1, le=65536, description="Largest note accepted, in KiB; checked before parsing.")
    pack: Text | None = Field(None, description='Review packs per owner besides the whole one: "owner" or "owner=NAME".')
    share_safe: StrictBool = Field(False, description="Build the share-safe variant (as --share-safe), into <output>-share-safe.")
    max_image_kib: StrictInt = Field(2048, ge=1, le=65536,
                                     description="Largest picture a note may show (a file or a data: URI), in KiB.")


@dataclass(frozen=True)
class Settings:
    spec: SettingsSpec
    base: Path  # folder the paths are relative to
    source: str | None  # the file it came from

    def path(self, value: str) -> Path:
        return (self.base / value) if not Path(value).is_absolute() else Path(value)

    @property
    def rules_files(self) -> list[Path]:
        return [self.path(r) for r in self.spec.rules]

    @property
    def max_note_bytes(self) -> int:
        return self.spec.max_note_kib * 1024

    @property
    def max_image_bytes(self) -> int:
        return self.spec.max_image_kib * 1024


def load_settings(explicit: Path | None, cwd: Path) -> tuple[Settings | None, list[Diagnostic]]:
    path = explicit or cwd / SETTINGS_FILE
    if explicit is None and not path.exists():
        return Settings(SettingsSpec(), cwd, None), []
    shown = str(explicit) if explicit else SETTINGS_FILE
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Diagnostic(shown, 0, f"cannot read settings: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        return None, [Diagnostic(shown, line, f"TOML error: {str(exc).split(' (at line')[0]}", column=col)]
    spec, errors = validate(SettingsSpec, data)
    if errors:
        return None, [Diagnostic(shown, _key_line(text, loc), msg) for loc, msg in errors]
    return Settings(spec, path.parent, shown), []


def _key_line(text: str, loc: tuple[str | int, ...]) -> int:
    key = next((p for p in loc if isinstance(p, str)), None)
    if key:
        for number, line in enumerate(text.splitlines(), 1):
            if re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
    return 1
