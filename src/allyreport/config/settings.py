"""The settings file, `allyreport.toml`: a typed schema that documents itself.

It is found as git finds `.git`: in the working directory or the nearest parent that has one,
so every command works from inside `notes/acme-foods/`; or it is named with `--config`.
Paths in it are relative to the file. Every field has a default, so no file is needed, and
`allyreport init` writes one from this schema, every key with its default and description.
"""

from __future__ import annotations

import json
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
    templates: Text | None = Field(None, description="A folder of templates/CSS overriding the shipped ones, file by file "
                                         "(`allyreport templates copy templates` starts one).", examples=["templates"])
    rules: tuple[Text, ...] = Field((), description="Rules files merged over the shipped rules, in order.")
    model: Text | None = Field(None, description="Active level model: ally, pyramid, s-curve or a firm's own "
                                     "(default: the rules' default_model).", examples=["ally"])
    page_size: Literal["A4", "Letter"] = Field("A4", description="PDF page size.")
    pdf_variant: Literal["pdf/ua-1", "pdf/a-3b"] = Field("pdf/ua-1", description="PDF flavour: tagged (UA-1) or archival (A-3b).")
    language: Text = Field("en", description="Document language of the pages and PDFs.")
    max_note_kib: StrictInt = Field(256, ge=1, le=65536, description="Largest note accepted, in KiB; checked before parsing.")
    pack: Text | None = Field(None, description='Review packs per owner besides the whole one: "owner" or "owner=NAME".')
    share_safe: StrictBool = Field(False, description="Build the share-safe variant (as --share-safe), into <output>-share-safe.")
    max_image_kib: StrictInt = Field(2048, ge=1, le=65536,
                                     description="Largest picture a note may show (a file or a data: URI), in KiB.")
    strict: StrictBool = Field(False, description="`allyreport check` fails (exit 1) on warnings too, as `--strict` does.")
    extra_css: Text | None = Field(None, description="A stylesheet added after the shipped one, on the site and in the "
                                   "PDFs: the firm's colours and fonts without copying the templates.",
                                   examples=["brand.css"])


PATH_KEYS = ("templates", "extra_css")  # must exist when set: a typo would otherwise be silently ignored


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
    def extra_css(self) -> Path | None:
        return self.path(self.spec.extra_css) if self.spec.extra_css else None

    @property
    def max_note_bytes(self) -> int:
        return self.spec.max_note_kib * 1024

    @property
    def max_image_bytes(self) -> int:
        return self.spec.max_image_kib * 1024


def find_settings(cwd: Path) -> Path | None:
    """The nearest `allyreport.toml`: in `cwd` or the closest folder above it."""
    for folder in (cwd, *cwd.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder / SETTINGS_FILE
    return None


def load_settings(explicit: Path | None, cwd: Path) -> tuple[Settings | None, list[Diagnostic]]:
    """The settings named with --config, else the nearest settings file, else the defaults."""
    path = explicit or find_settings(cwd)
    if path is None:
        return Settings(SettingsSpec(), cwd, None), []
    shown = str(explicit) if explicit else _shown(path, cwd)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "no such file" if isinstance(exc, FileNotFoundError) else str(exc)
        return None, [Diagnostic(shown, 0, f"cannot read settings: {reason}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        return None, [Diagnostic(shown, line, f"TOML error: {str(exc).split(' (at line')[0]}", column=col)]
    spec, errors = validate(SettingsSpec, data)
    if errors:
        return None, [Diagnostic(shown, _key_line(text, loc), msg) for loc, msg in errors]
    settings = Settings(spec, path.parent, shown)
    missing = [Diagnostic(shown, _key_line(text, (key,)), f"{key} '{value}' does not exist ({settings.path(value)})")
               for key in PATH_KEYS if (value := getattr(spec, key)) and not settings.path(value).exists()]
    return (None, missing) if missing else (settings, [])


def _shown(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def commented_settings() -> str:
    """An `allyreport.toml` with every key at its default, each under its description (for `init`)."""
    lines = ["# allyreport settings. Every key is optional and shows its default; see docs/settings.md.",
             "# Paths are relative to this file. The file is found from any folder below this one."]
    for key, field in SettingsSpec.model_fields.items():
        lines += ["", f"# {field.description}"]
        default = field.default
        example = (field.examples or ["..."])[0]
        lines.append(f"# {key} = {_toml(example)}" if default is None else f"{key} = {_toml(default)}")
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # a JSON string or number is a TOML one


def _key_line(text: str, loc: tuple[str | int, ...]) -> int:
    key = next((p for p in loc if isinstance(p, str)), None)
    if key:
        for number, line in enumerate(text.splitlines(), 1):
            if re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
    return 1
