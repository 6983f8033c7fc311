"""Go ``encoding/json`` ``Marshal`` output, byte for byte, for the values Helm hashes.

Differences from Python's ``json.dumps`` that matter for Helm's lock digest: ``<``, ``>`` and
``&`` are escaped as ``\\u003c`` etc.; U+2028/U+2029 are escaped; map keys are sorted by their
UTF-8 bytes; numbers are float64 written with the shortest round-trip digits, in fixed notation
unless the magnitude is below 1e-6 or at least 1e21; no whitespace anywhere.
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
_HEX = "0123456789abcdef"
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escape_char(ch: str) -> str:
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code < 0x20 or ch in "<>&":
        return "\\u00" + _HEX[code >> 4] + _HEX[code & 0xF]
    if code in (0x2028, 0x2029):
        return f"\\u{code:04x}"
    if 0xD800 <= code <= 0xDFFF:  # lone surrogate: not valid UTF-8
        return "\\ufffd"
    return ch


_NEEDS_ESCAPE = frozenset('"\\<>&\u2028\u2029') | frozenset(chr(c) for c in range(0x20))


def encode_string(text: str) -> str:
    if not any(ch in _NEEDS_ESCAPE or 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return f'"{text}"'
    return '"' + "".join(_escape_char(ch) for ch in text) + '"'


def format_float64(value: float) -> str:
    """``encoding/json`` float64 formatting."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {value}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    text = repr(float(value))
    mantissa, _, exp_text = text.partition("e")
    negative = mantissa.startswith("-")
    mantissa = mantissa.lstrip("-")
    int_part, _, frac = mantissa.partition(".")
    if frac == "0":
        frac = ""
    digits = (int_part + frac).lstrip("0")
    # decimal exponent of the first significant digit
    if exp_text:
        exp = int(exp_text) + len(int_part) - 1
    elif int_part != "0":
        exp = len(int_part) - 1
    else:
        exp = -(len(frac) - len(frac.lstrip("0"))) - 1
    digits = digits.rstrip("0") or "0"
    exponent = abs(value) < 1e-6 or abs(value) >= 1e21
    return layout_digits(digits, exp, negative=negative, exponent=exponent, exp_width=1)


def layout_digits(digits: str, exp: int, *, negative: bool, exponent: bool, exp_width: int) -> str:
    """Write significant ``digits`` (first digit at 10**``exp``) the way Go's strconv does:
    ``d.ddde+XX`` (exponent padded to ``exp_width`` digits) or plain fixed notation."""
    sign = "-" if negative else ""
    if exponent:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):0{exp_width}d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if exp + 1 >= len(digits):
        return f"{sign}{digits}{'0' * (exp + 1 - len(digits))}"
    return f"{sign}{digits[: exp + 1]}.{digits[exp + 1 :]}"


def marshal(value: Any) -> str:
    """Marshal a JSON-able value (from YAML) exactly as Go would marshal ``interface{}``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_string(value)
    if isinstance(value, (int, float)):
        # YAML numbers pass through JSON into interface{} and come back as float64.
        return format_float64(float(value))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(marshal(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: str(k).encode("utf-8", "surrogatepass"))
        return "{" + ",".join(f"{encode_string(str(k))}:{marshal(value[k])}" for k in keys) + "}"
    raise TypeError(f"json: unsupported type: {type(value).__name__}")
