"""A real EPUB 3 written with zipfile: the demo catalog's e-mail-gated book.

The container follows the EPUB Open Container Format: ``mimetype`` first and stored uncompressed, then
``META-INF/container.xml``, the package document, a navigation document, one XHTML file per chapter and the
cover image. Pure; runs on the demo builder's thread.
"""

from __future__ import annotations

import html
import zipfile
from collections.abc import Sequence
from pathlib import Path

_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""


def _xhtml(title: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">\n'
        f"<head><title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def write_epub(
    path: Path,
    *,
    identifier: str,
    title: str,
    author: str,
    chapters: Sequence[tuple[str, Sequence[str]]],
    cover_png: bytes,
    modified: str = "2026-01-01T00:00:00Z",
) -> None:
    """Write an EPUB 3 book: ``chapters`` are (heading, paragraphs)."""
    manifest = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="cover" href="cover.png" media-type="image/png" properties="cover-image"/>',
    ]
    spine = []
    nav_items = []
    pages: dict[str, str] = {}
    for number, (heading, paragraphs) in enumerate(chapters, start=1):
        name = f"chapter-{number:02d}.xhtml"
        body = f"<h1>{html.escape(heading)}</h1>\n" + "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        pages[name] = _xhtml(heading, body)
        manifest.append(f'<item id="c{number}" href="{name}" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="c{number}"/>')
        nav_items.append(f'<li><a href="{name}">{html.escape(heading)}</a></li>')
    nav = _xhtml(title, '<nav epub:type="toc" id="toc"><h1>Contents</h1><ol>' + "".join(nav_items) + "</ol></nav>")
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">\n'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f'<dc:identifier id="uid">{html.escape(identifier)}</dc:identifier>\n'
        f"<dc:title>{html.escape(title)}</dc:title>\n<dc:creator>{html.escape(author)}</dc:creator>\n"
        f'<dc:language>en</dc:language>\n<meta property="dcterms:modified">{modified}</meta>\n'
        '<meta name="cover" content="cover"/>\n</metadata>\n'
        "<manifest>\n" + "\n".join(manifest) + "\n</manifest>\n"
        "<spine>\n" + "\n".join(spine) + "\n</spine>\n</package>\n"
    )
    with zipfile.ZipFile(path, "w") as book:
        # OCF: "mimetype" must be the first entry, stored, with no extra field.
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", _CONTAINER, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("OEBPS/content.opf", opf, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("OEBPS/nav.xhtml", nav, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("OEBPS/cover.png", cover_png, compress_type=zipfile.ZIP_STORED)
        for name, page in pages.items():
            book.writestr(f"OEBPS/{name}", page, compress_type=zipfile.ZIP_DEFLATED)
