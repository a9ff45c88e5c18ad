"""The Jinja2 environment and Markdown renderer shared by the HTML site and the PDFs.

Templates come from the firm's folder first (`--templates` / settings), then the packaged
defaults, so a firm overrides one template or the CSS and keeps the rest. Autoescape is on
everywhere and undefined values are errors (StrictUndefined): a missing value must fail the
build, not print an empty string or `None`. Note text is only ever data passed *into*
templates, never compiled as one.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

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
    env.filters["markdown"] = render_markdown
    return env


def _folder(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def find_asset(name: str, override: Path | None = None) -> Path:
    """A static file (CSS, font) from the override folder if it has one, else the defaults."""
    if override is not None and (override / name).is_file():
        return override / name
    return DEFAULT_TEMPLATES / name


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "js-default" is CommonMark with raw HTML off and link validation on (no javascript: URLs).
    # maxNesting 20 (default 100) keeps pathological input such as 50,000 '[' from stalling a build.
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False, "maxNesting": 20})
    md.disable("image")  # a note cannot make the report fetch a file or a URL
    md.validateLink = _allowed_link  # type: ignore[method-assign]
    return md


ALLOWED_SCHEMES = ("https://", "http://", "mailto:")


def _allowed_link(url: str) -> bool:
    """Links in notes keep only web and mail schemes; file paths, javascript: and data: stay text."""
    return url.strip().lower().startswith(ALLOWED_SCHEMES)


def render_markdown(text: str) -> Markup:
    """Note bodies are untrusted: raw HTML is escaped, images are not rendered."""
    return Markup(_markdown().render(text))
