"""Pictures in notes: which images a note may show, checked where they are written.

A lead puts an org chart beside a note and writes `![org chart](org-2026.png)`. The picture
must come from the note's own account folder: a report never fetches from the network,
never reads a file outside the notes it was given, and one client's pictures never show
up in another client's review. So every image source is checked when the account is
loaded, with the note's `path:line`, and anything else (a URL, an absolute path, `..` out
of the folder, another scheme, an oversized file or data: URI, bytes that are not what
the name says) is an error that fails the build before anything is written.

What passes becomes a `Picture`: its bytes (an SVG re-written from an allowlist of
elements and attributes, so it can neither run script nor fetch anything, whoever opens
it) and a content-addressed output name, `images/<slug>/<hash>.<ext>`. The image files
are inputs of their account (`layout`), so an edited picture rebuilds its account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from ..core.diagnostics import Diagnostic
from .data import Account, Note, Picture

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".svg": "image/svg+xml"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
              "image/svg+xml": "svg"}
DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 * 1024
_DATA = re.compile(r"data:([\w.+-]+/[\w.+-]+)((?:;[\w.+-]+=[\w.+-]+)*)(;base64)?,(.*)", re.S | re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def image_kind(name: str) -> bool:
    """Whether a file in an account folder is a picture a note may show (by its extension)."""
    return os.path.splitext(name)[1].lower() in IMAGE_TYPES


class Refused(ValueError):
    """Why an image source cannot be shown; the message is for the note's author."""


# -- finding the images of a note ----------------------------------------------------------------


def image_sources(body: str, body_line: int) -> Iterator[tuple[str, int]]:
    """Each image of a Markdown body as the renderer parses it (its normalised source), with its file line."""
    if "![" not in body:  # every image syntax starts so: most notes are never parsed here
        return
    from .markdown import note_parser

    lines = body.split("\n")
    for token in note_parser().parse(body):
        if token.type != "inline" or not token.children or token.map is None:
            continue
        start, end = token.map
        at, column = start, 0  # where the search for the next image's "![" resumes
        for child in token.children:
            if child.type != "image":
                continue
            line = at
            while line < end and (found := lines[line].find("![", column if line == at else 0)) < 0:
                line += 1
            if line < end:
                at, column = line, found + 2
            yield str(child.attrGet("src") or ""), body_line + at


# -- checking a source ---------------------------------------------------------------------------


def resolve(src: str, note_path: str, folder: str, files: dict[str, str]) -> str:
    """The display path of the account file `src` names, relative to the note; else Refused."""
    shown = _short(src)
    if _SCHEME.match(src) or src.startswith("//"):
        if src.lower().startswith(("http:", "https:", "//")):
            raise Refused(f"image '{shown}' is a web address; a report never fetches from the network: "
                          "save the picture in the account folder and use its file name")
        raise Refused(f"image '{shown}' is refused: a note shows only pictures from its own account folder")
    path = unquote(src.split("#", 1)[0].split("?", 1)[0])
    if path.startswith(("/", "\\")) or re.match(r"[a-zA-Z]:[\\/]", path):
        raise Refused(f"image '{shown}' is an absolute path; put the picture in {folder}/ and use its file name")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(note_path), path.replace("\\", "/")))
    if not target.startswith(folder + "/"):
        raise Refused(f"image '{shown}' is outside this account's folder ({folder}/); copy the picture into it")
    if os.path.splitext(target)[1].lower() not in IMAGE_TYPES:
        raise Refused(f"image '{shown}' is not a png, jpeg, gif, webp or svg file")
    if target not in files:
        raise Refused(f"image '{shown}' not found: no file {target}")
    return target


def load_file(shown: str, real: str, folder_real: str, max_bytes: int) -> tuple[str, bytes]:
    """The checked bytes of an account's image file and its type; else Refused."""
    if not os.path.realpath(real).startswith(folder_real + os.sep):
        raise Refused(f"image '{shown}' is a link to a file outside this account's folder; copy the picture instead")
    try:
        with open(real, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise Refused(f"cannot read image '{shown}': {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise Refused(f"image '{shown}' is larger than the {max_bytes // 1024} KiB limit for one image; "
                      "make it smaller, or raise max_image_kib in allyreport.toml")
    mime = IMAGE_TYPES[os.path.splitext(real)[1].lower()]
    return mime, checked(shown, mime, data)


def load_data_uri(src: str, max_bytes: int) -> tuple[str, bytes]:
    """The checked bytes and type of a `data:` image; else Refused."""
    match = _DATA.fullmatch(src)
    if match is None or match.group(1).lower() not in EXTENSIONS:
        raise Refused("data: image is not a png, jpeg, gif, webp or svg image")
    payload = match.group(4)
    if (len(payload) * 3 // 4 if match.group(3) else len(payload)) > max_bytes + 3:
        raise Refused(f"data: image is larger than the {max_bytes // 1024} KiB limit for one image; save it as "
                      "a file in the account folder, or raise max_image_kib in allyreport.toml")
    try:
        data = base64.b64decode(unquote(payload), validate=True) if match.group(3) else unquote(payload).encode()
    except (binascii.Error, ValueError):
        raise Refused("data: image is not valid base64") from None
    if len(data) > max_bytes:
        raise Refused(f"data: image is larger than the {max_bytes // 1024} KiB limit for one image; save it as "
                      "a file in the account folder, or raise max_image_kib in allyreport.toml")
    mime = match.group(1).lower()
    return mime, checked("data:", mime, data)


_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "image/gif": (b"GIF87a", b"GIF89a")}


def checked(shown: str, mime: str, data: bytes) -> bytes:
    """The bytes to publish: a raster image as it is, once its first bytes match its type; an SVG sanitised."""
    if mime == "image/svg+xml":
        return sanitise_svg(shown, data)
    kind = EXTENSIONS[mime].upper().replace("JPG", "JPEG")
    ok = data[:4] == b"RIFF" and data[8:12] == b"WEBP" if mime == "image/webp" else data.startswith(_MAGIC[mime])
    if not ok:
        raise Refused(f"image '{_short(shown)}' is not a {kind} file (its contents say otherwise)")
    return data


# -- SVG: rewritten from an allowlist ------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_ELEMENTS = frozenset({"svg", "g", "defs", "symbol", "use", "title", "desc", "path", "rect", "circle", "ellipse", "line",
                       "polyline", "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop",
                       "clipPath", "mask", "pattern", "marker", "style"})
_UNWRAP = frozenset({"a", "switch"})  # harmless containers of drawing: kept as groups
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.I)


def sanitise_svg(shown: str, data: bytes) -> bytes:
    """The SVG re-written keeping only drawing: no script, no event handlers, no links or
    references outside the file, no external stylesheets, no embedded HTML; entities refused."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise Refused(f"image '{_short(shown)}' is not a well-formed SVG file ({exc})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise Refused(f"image '{_short(shown)}' is not an SVG image (its root element is not <svg>)")
    _clean(root)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))


def _clean(element: ET.Element) -> None:
    for child in list(element):
        name = _local(child.tag)
        if name in _UNWRAP and isinstance(child.tag, str) and child.tag.startswith(f"{{{SVG_NS}}}"):
            child.tag = f"{{{SVG_NS}}}g"
            name = "g"
        if name is None or name not in _ELEMENTS:
            element.remove(child)
            continue
        if name == "style" and not _safe_css(child.text or ""):
            element.remove(child)
            continue
        for attribute in list(child.attrib):
            if not _safe_attribute(attribute, child.attrib[attribute]):
                del child.attrib[attribute]
        _clean(child)
    for attribute in list(element.attrib):
        if not _safe_attribute(attribute, element.attrib[attribute]):
            del element.attrib[attribute]


def _local(tag: object) -> str | None:
    """An SVG element's local name; None for comments, processing instructions and foreign elements."""
    if not isinstance(tag, str) or not tag.startswith(f"{{{SVG_NS}}}"):
        return None
    return tag[len(SVG_NS) + 2:]


def _safe_attribute(name: str, value: str) -> bool:
    if name == f"{{{XLINK_NS}}}href" or name == "href":
        return value.strip().startswith("#")
    if name.startswith("{") and not name.startswith("{http://www.w3.org/XML/1998/namespace}"):
        return False  # editors' own attributes (inkscape:, sodipodi:) and anything else foreign
    if name.lower().startswith("on"):
        return False
    return _safe_css(value)


def _safe_css(text: str) -> bool:
    """No stylesheet import, no expression, and every url() a reference inside the file."""
    lowered = text.lower()
    if "@import" in lowered or "expression(" in lowered or "javascript:" in lowered:
        return False
    return all(target.startswith("#") for target in _URL.findall(text))


# -- attaching the pictures to an account --------------------------------------------------------


def attach_pictures(account: Account, images: dict[str, str], folder_real: str,
                    max_bytes: int) -> tuple[Account, list[Diagnostic]]:
    """The account with each body's pictures attached, and every refused source as an error."""
    folder = posixpath.dirname(account.path)
    loaded: dict[str, tuple[str, bytes] | Refused] = {}
    problems: list[Diagnostic] = []

    def pictures(path: str, body: str, line: int) -> tuple[Picture, ...]:
        found: dict[str, Picture] = {}
        for src, at in image_sources(body, line):
            try:
                mime, data = _load(src, path, (folder, folder_real), images, max_bytes, loaded)
            except Refused as exc:
                problems.append(Diagnostic(path, at, str(exc)))
                continue
            digest = hashlib.sha256(data).hexdigest()[:20]
            found[src] = Picture(src, f"images/{account.slug}/{digest}.{EXTENSIONS[mime]}", mime, data)
        return tuple(found.values())

    notes: list[Note] = []
    for note in account.notes:
        attached = pictures(note.path, note.body, note.body_line)
        notes.append(replace(note, pictures=attached) if attached else note)
    profile = pictures(account.path, account.profile, account.profile_line)
    if not profile and all(a is b for a, b in zip(notes, account.notes, strict=True)):
        return account, problems
    return replace(account, notes=tuple(notes), pictures=profile), problems


def _load(src: str, path: str, folders: tuple[str, str], images: dict[str, str], max_bytes: int,
          loaded: dict[str, tuple[str, bytes] | Refused]) -> tuple[str, bytes]:
    """A picture's type and bytes (`folders`: the account folder as shown, and its real path)."""
    folder, folder_real = folders
    if src.lower().startswith("data:"):
        return load_data_uri(src, max_bytes)
    target = resolve(src, path, folder, images)
    if target not in loaded:
        try:
            loaded[target] = load_file(target, images[target], folder_real, max_bytes)
        except Refused as exc:
            loaded[target] = exc
    result = loaded[target]
    if isinstance(result, Refused):
        raise Refused(str(result))
    return result


def all_pictures(account: Account) -> Sequence[Picture]:
    """Every picture the account's pages may show, each once, in a stable order."""
    unique = {p.name: p for p in (*account.pictures, *(p for n in account.notes for p in n.pictures))}
    return [unique[name] for name in sorted(unique)]


def data_uri(picture: Picture) -> str:
    """A picture inlined, for the PDFs (which read no file but the templates and fonts)."""
    return f"data:{picture.mime};base64,{base64.b64encode(picture.data).decode('ascii')}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
