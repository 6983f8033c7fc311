"""Finding ``helm`` invocations in shell words (:mod:`resolver.linter.shell`).

``helm`` is recognised as the command word after ``sudo``, ``env``, ``VAR=value``
assignments, ``then``/``do``/``!``, YAML prefixes (``- ``, ``run:``, ``script:``), a ``$ ``
prompt and Makefile's ``@``/``-`` prefixes; ``$(HELM)``/``${HELM}`` count as helm. Commands
inside ``$(...)``, backticks, ``sh -c "..."``, Jenkins' ``sh "..."``, ``find -exec helm`` and
quoted YAML items are found too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from resolver.linter.shell import LogicalLine, Token, commands, quoted_inner, tokenize
from resolver.util.records import Record

_PREFIX_WORDS = frozenset(
    (
        "-",
        "$",
        "sudo",
        "env",
        "then",
        "do",
        "else",
        "elif",
        "if",
        "while",
        "until",
        "!",
        "time",
        "exec",
        "command",
        "nohup",
        "{",
        "run:",
        "script:",
        "cmd:",
        "command:",
        "before_script:",
        "after_script:",
    )
)
_SHELLS = frozenset(("sh", "bash", "zsh", "dash", "ksh", "eval", "kubesh"))
_ECHO_LIKE = frozenset(
    [
        "echo",
        "printf",
        "print",
        "log",
        "info",
        "warn",
        "warning",
        "error",
        "debug",
        "notice",
        "git",
        "grep",
        "sed",
        "awk",
        "jq",
        "yq",
        "cat",
        "die",
        "fail",
        "test",
        "[",
        "[[",
    ]
)
_XARGS_VALUE_FLAGS = frozenset(("-L", "-n", "-I", "-P", "-d", "-s", "-a", "-E"))
_VARIABLE_RE = re.compile(r"\$(?:\([^()]*\)|\{[^{}]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_HELM_START_RE = re.compile(r"\s*(?:sudo\s+)?helm\s")
_ASSIGNMENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_HELM_VAR_RE = re.compile(r"\$[({]?HELM(?:_BIN|_CMD|_EXE)?[)}]?")


def _skip_wrappers(words: list[Token], index: int) -> int:
    """Skip ``xargs -L 1`` and a leading ``$(GO_TOOL)``/``${PREFIX}`` before ``helm``."""
    while index < len(words):
        value = words[index].value
        if value == "xargs":
            index += 1
            while index < len(words) and words[index].value.startswith("-"):
                flag = words[index].value
                index += 2 if flag in _XARGS_VALUE_FLAGS else 1
            continue
        if (
            _VARIABLE_RE.fullmatch(value)
            and not _is_helm(value)
            and index + 1 < len(words)
            and _is_helm(words[index + 1].value)
        ):
            index += 1
            continue
        return index
    return index


def _is_helm(word: str) -> bool:
    return word == "helm" or word.endswith("/helm") or bool(_HELM_VAR_RE.fullmatch(word))


class HelmCall(Record):
    """One ``helm`` invocation: its words after ``helm``, and the line they are on."""

    words: list[Token]  # the words after ``helm``
    line: LogicalLine


def find_helm(line: LogicalLine, start: int, end: int, depth: int = 0) -> Iterator[HelmCall]:
    if depth > 4:
        return
    subs: list[tuple[int, int]] = []
    tokens = tokenize(line.text, start, end, subs)
    for words in commands(tokens):
        index = 0
        while index < len(words):
            value = words[index].value
            if value in _PREFIX_WORDS or _ASSIGNMENT_RE.match(value):
                index += 1
                if value == "sudo":
                    while index < len(words) and words[index].value.startswith("-"):
                        index += 1
                continue
            break
        index = _skip_wrappers(words, index)
        if index >= len(words):
            continue
        first = words[index]
        word = first.value.lstrip("@-+") if first.raw[:1] in "@-+" else first.value
        if _is_helm(word):
            yield HelmCall(words[index + 1 :], line)
            continue
        inner = quoted_inner(first)
        if inner is not None and "helm" in line.text[inner[0] : inner[1]]:
            yield from find_helm(line, inner[0], inner[1], depth + 1)
            continue
        for position, token in enumerate(words[index + 1 :], start=index + 1):
            if (
                token.value in ("-exec", "-execdir")
                and position + 1 < len(words)
                and _is_helm(words[position + 1].value)
            ):
                yield HelmCall(words[position + 2 :], line)
        if word not in _ECHO_LIKE:
            for token in words[index + 1 :]:
                inner = quoted_inner(token)
                if inner is not None and (
                    word in _SHELLS or _HELM_START_RE.match(line.text, inner[0], inner[1])
                ):
                    yield from find_helm(line, inner[0], inner[1], depth + 1)
    for sub_start, sub_end in subs:
        if "helm" in line.text[sub_start:sub_end]:
            yield from find_helm(line, sub_start, sub_end, depth + 1)
