"""QR codes for links people scan: the open chat's invitation, a facilitator's roster link."""

from __future__ import annotations

import io

import segno


def png(url: str, scale: int = 8) -> bytes:
    """A QR code for `url` as PNG bytes (error correction M, quiet zone included)."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def svg(url: str, scale: int = 8) -> bytes:
    """The same QR code as SVG (for print)."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=scale, border=4, xmldecl=False)
    return buf.getvalue()
