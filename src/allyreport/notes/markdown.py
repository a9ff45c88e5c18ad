"""The one Markdown dialect of note bodies, shared by the checks and the renderers.

Note bodies are untrusted: raw HTML off, links only to web and mail addresses. Images are
parsed whatever their source, so `pictures` can refuse a source it may not show at the
note's line instead of the source silently staying text; an image renders only when the
renderer is given the URL of its checked, published copy (env "pictures").
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "js-default" is CommonMark with raw HTML off and link validation on (no javascript: URLs).
    # maxNesting 20 (default 100) keeps pathological input such as 50,000 '[' from stalling a build.
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False, "maxNesting": 20})
    md.validateLink = _allowed_link  # type: ignore[method-assign]
    md.inline.ruler.at("image", _image_rule)
    md.add_render_rule("image", _render_image)
    return md


def note_parser() -> MarkdownIt:
    """The one parser of note bodies: `pictures` finds a body's images with it and the renderers
    render with it, so the checks and the pages always agree on what is an image."""
    return _markdown()


ALLOWED_SCHEMES = ("https://", "http://", "mailto:")


def _allowed_link(url: str) -> bool:
    """Links in notes keep only web and mail schemes; file paths, javascript: and data: stay text."""
    return url.strip().lower().startswith(ALLOWED_SCHEMES)


def _image_rule(state: StateInline, silent: bool) -> bool:
    """Every image is parsed as one, whatever its source: the checks (`pictures`) refuse, with the
    note's path:line, what may not be shown, instead of the source silently staying text."""
    md = state.md
    before = md.validateLink  # the label is parsed inside this call, maybe meeting another image: restore, not reset
    md.validateLink = _any_link  # type: ignore[method-assign]
    try:
        return bool(image(state, silent))
    finally:
        md.validateLink = before  # type: ignore[method-assign]


def _any_link(url: str) -> bool:
    return True


def _render_image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                  env: EnvType) -> str:
    token = tokens[idx]
    alt = escapeHtml(self.renderInlineAsText(token.children or [], options, env))
    url = env.get("pictures", {}).get(token.attrGet("src"))
    if url is None:  # a checked image is always known; a template that passes no pictures shows the alt text
        return alt
    title = token.attrGet("title")
    extra = f' title="{escapeHtml(str(title))}"' if title else ""
    return f'<img class="note-image" src="{escapeHtml(url)}" alt="{alt}"{extra}>'


