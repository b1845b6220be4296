"""Text from analysed files made safe to print: control characters shown, never obeyed.

File names, messages (which quote source text: a string literal, a SQL type name) and pack
texts are checked content, i.e. input the author of a pull request controls. Printed raw, an
``ESC ]`` sequence retitles or rewrites the terminal, a newline starts a line of the author's
choosing (a forged ``::error`` workflow command in a CI log, an extra finding line), and a
bidi override reorders what a reviewer reads. ``visible`` replaces every such character by its
escape, as Python's ``repr`` would write it (``\\x1b``, ``\\x0a``, ``\\u202e``); everything else,
non-ASCII letters included, is kept as it is.

Replaced: C0 controls (tab and newline included: a finding is one line), DEL, C1 controls,
U+2028/U+2029 (line and paragraph separators), the bidi embedding/override/isolate marks and
U+FEFF, and the surrogate escapes of raw C1 bytes in non-UTF-8 file names (``\\udc9b`` would be
written back as byte 0x9b, a one-byte CSI on some terminals). Other undecodable bytes of a file
name are kept: the text report prints the name's original bytes.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ufeff\udc80-\udc9f]")


def _escape(m: re.Match[str]) -> str:
    o = ord(m.group())
    if 0xDC80 <= o <= 0xDC9F:  # a raw C1 byte of a non-UTF-8 name (surrogateescape)
        return f"\\x{o - 0xDC00:02x}"
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def visible(text: object) -> str:
    """``text`` with every control, line-separator and bidi character escaped (see above)."""
    s = str(text)
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s


def is_safe(text: str) -> bool:
    """True when ``visible(text) == text`` (nothing to escape)."""
    return _UNSAFE.search(text) is None
