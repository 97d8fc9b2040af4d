"""The one way bytes people exported become text: UTF-8 (with or without BOM), UTF-16 with a BOM,
or Shift_JIS (cp932, what Excel and older Windows tools write in Japan)."""

from __future__ import annotations

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"


def decode_bytes(data: bytes) -> tuple[str, str] | None:
    """(text, encoding name), or None when no encoding reads every byte.

    The BOM decides when there is one (a UTF-8 BOM followed by broken UTF-8 is not guessed as
    cp932); otherwise UTF-8 is tried before cp932, whose byte ranges accept most random bytes.
    """
    try:
        if data.startswith(UTF8_BOM):
            return data[len(UTF8_BOM):].decode("utf-8"), "utf-8-sig"
        if data.startswith(UTF16_BOMS):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError:
        return None
    for name in ("utf-8", "cp932"):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    return None
