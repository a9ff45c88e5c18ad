"""`portfolio.html`: the portfolio page as one self-contained file, to attach to an email.

The site's `index.html` stays as it is (it links to the account pages and to `assets/`);
this is the same page with the stylesheet and the script written inline, the charts
already being inline SVG, and every link to another file of the output (an account's
review, a PDF, a note) turned into plain text, since the file is read away from the
folder. Links inside the page (`#accounts`) and to the web stay. It is derived from the
page's own HTML, which allyreport wrote (attribute values escaped, anchors never nested),
so a pattern over that HTML is exact.
"""

from __future__ import annotations

import re

_STYLESHEET = re.compile(r'<link rel="stylesheet" href="[^"]*assets/style\.css">')
_SCRIPT = re.compile(r'<script src="[^"]*assets/portfolio\.js"></script>')
_LOCAL_LINK = re.compile(r'<a\b[^>]*?\bhref="(?!#|https?:|mailto:)[^"]*"[^>]*>(.*?)</a>', re.S)


def standalone(page: str, css: str, script: str) -> str:
    """The page with its CSS and script inline and its links to other files as text."""
    style = "<style>\n" + css.replace("</", "<\\/") + "\n</style>"
    code = "<script>\n" + script.replace("</", "<\\/") + "\n</script>"
    page = _STYLESHEET.sub(lambda _: style, page, count=1)
    page = _SCRIPT.sub(lambda _: code, page, count=1)
    return _LOCAL_LINK.sub(lambda m: f'<span class="offline">{m.group(1)}</span>', page)
