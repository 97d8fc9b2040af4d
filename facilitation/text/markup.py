"""User text made to show literally in Markdown (the pages' st.markdown and the report's .md file).

One rule for every place that puts names, organisations, notes, chat or answers into Markdown:
ui.common.esc (the pages) and rosters.report (the Markdown report and its preview) both use it.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"([\\`*_\[\]#<>$:|~&!])")
_LINE_START = re.compile(r"^(\s*)(\d+(?=[.)])|[-+=])")  # lists, setext underlines: only at a line start
# GFM turns bare URLs into links after escapes are resolved; an invisible word joiner breaks them.
_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(www)(?=\.)")


def escape_line(line: str) -> str:
    """One line with every character Markdown, Streamlit's extensions (colours, icons, emoji
    shortcodes, math) or HTML could act on backslash-escaped, and bare URLs broken (a word joiner,
    U+2060, is put into `://` and `www.`; it does not show)."""
    line = _MARKUP.sub(r"\\\1", _AUTOLINK.sub("\\1\\2\u2060", line))
    return _LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), line)


def escape_markdown(text: object) -> str:
    """`text` (None shows as "") escaped line by line; line breaks kept as Markdown line breaks."""
    lines = str("" if text is None else text).splitlines() or [""]
    return "  \n".join(escape_line(line) for line in lines)
