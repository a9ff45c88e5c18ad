"""The one Markdown dialect of note bodies, shared by the checks and the renderers.

Note bodies are untrusted: raw HTML off, links only to web and mail addresses. Images are
parsed whatever their source, so `pictures` can refuse a source it may not show at the
note's line instead of the source silently staying text; an image renders only when the
renderer is given the URL of its checked, published copy (env "pictures").
"""

from __future__ import annotations

import re
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
    md.add_render_rule("text", _render_text)
    md.add_render_rule("code_inline", _render_code)
    return md


# A word longer than this gets a break opportunity (a zero-width space) every WORD_PIECE characters:
# with none, WeasyPrint's line breaking is quadratic in the word's length (a 25,000-character
# word took 80 s to print), and the HTML page could not wrap it either.
LONG_WORD = 48
WORD_PIECE = 24
_LONG = re.compile(rf"\S{{{LONG_WORD},}}")


def breakable(text: str) -> str:
    """`text` escaped for HTML, with long words made breakable."""
    if len(text) < LONG_WORD or not _LONG.search(text):
        return escapeHtml(text)
    out, at = [], 0
    for match in _LONG.finditer(text):
        word = match.group()
        out += [escapeHtml(text[at:match.start()]),
                "\u200b".join(escapeHtml(word[i:i + WORD_PIECE]) for i in range(0, len(word), WORD_PIECE))]
        at = match.end()
    out.append(escapeHtml(text[at:]))
    return "".join(out)


def _render_text(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return breakable(tokens[idx].content)


def _render_code(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    return f"<code{self.renderAttrs(token)}>{breakable(token.content)}</code>"


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


