"""The Jinja2 environment and Markdown renderer shared by the HTML site and the PDFs.

Templates come from the firm's folder first (`--templates` / settings), then the packaged
defaults, so a firm overrides one template or the CSS and keeps the rest. Autoescape is on
everywhere and undefined values are errors (StrictUndefined): a missing value must fail the
build, not print an empty string or `None`. Note text is only ever data passed *into*
templates, never compiled as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from ..notes.markdown import note_parser
from ..notes.pictures import data_uri

if TYPE_CHECKING:
    from ..notes.data import Picture

DEFAULT_TEMPLATES = Path(str(resources.files("allyreport").joinpath("templates")))


def environment(override: Path | None = None, compiled: Path | None = None) -> jinja2.Environment:
    """The templates' environment; `compiled` keeps compiled templates between builds (Jinja checks
    each one against its source, so an edited template is always compiled afresh)."""
    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=jinja2.FileSystemBytecodeCache(_folder(compiled)) if compiled else None,
    )
    env.filters["markdown"] = pdf_markdown
    return env


def _folder(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def find_asset(name: str, override: Path | None = None) -> Path:
    """A static file (CSS, font) from the override folder if it has one, else the defaults."""
    if override is not None and (override / name).is_file():
        return override / name
    return DEFAULT_TEMPLATES / name


def render_markdown(text: str, pictures: Mapping[str, str] | None = None) -> Markup:
    """Note bodies are untrusted: raw HTML is escaped; an image shows only when `pictures` maps
    its source (checked by `pictures`) to the URL of its published copy."""
    return Markup(note_parser().render(text, {"pictures": pictures or {}}))


def pdf_markdown(text: str, pictures: Iterable[Picture] = ()) -> Markup:
    """A body for a PDF: its pictures inlined, since a PDF reads no file but the templates and fonts."""
    return render_markdown(text, {p.src: data_uri(p) for p in pictures})
