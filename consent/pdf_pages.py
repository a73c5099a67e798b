"""Pages of a PDF drawn as PNG images, so a reviewer reads PDF evidence inline as pictures.

A browser will not show a PDF inside a sandboxed frame (its viewer is a plugin, and the sandbox
turns plugins off), and a frame without the sandbox would let the uploader's document run in the
desk's origin. Drawn here with PDFium (the engine of Chrome's own viewer), a page reaches the
desk as an image, with no script, link or form of the document's; reading and drawing are
bounded (file size by the upload limits, pages and pixels here).
"""

import io

import pypdfium2

# Pages shown inline; a longer document's rest is read by downloading it.
MAX_PAGES = 20
# Width of a drawn page in pixels, and the most pixels one page may have (a tall page is drawn
# smaller rather than allocating without bound).
WIDTH = 1000
MAX_PIXELS = 6_000_000


class UnreadablePdf(Exception):
    """The bytes are not a PDF this renderer can open, or the page does not exist."""


def _open(data: bytes) -> pypdfium2.PdfDocument:
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise UnreadablePdf(str(exc)) from exc


def page_count(data: bytes) -> int:
    document = _open(data)
    try:
        return len(document)
    finally:
        document.close()


def render_page(data: bytes, number: int) -> bytes:
    """Page `number` (from 1, at most MAX_PAGES) as PNG bytes."""
    document = _open(data)
    try:
        if not 1 <= number <= min(len(document), MAX_PAGES):
            raise UnreadablePdf(f"no page {number} to show")
        page = document[number - 1]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            raise UnreadablePdf(f"page {number} has no size")
        scale = WIDTH / width
        if (width * scale) * (height * scale) > MAX_PIXELS:
            scale = (MAX_PIXELS / (width * height)) ** 0.5
        image = page.render(scale=scale, may_draw_forms=False).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()
    finally:
        document.close()
