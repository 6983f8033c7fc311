"""CI rules (CL401-CL406): how ``helm`` is called in workflows, scripts and Makefiles.

Files: ``.github/workflows/*.y*ml``, ``.gitlab-ci.yml``, ``*.sh``, ``Makefile``, ``Taskfile.y*ml``
and ``Jenkinsfile``. The text is scanned, not parsed as YAML: a ``run: |`` block, a GitLab
``script:`` item and a Makefile recipe are all shell lines. Lines ending in ``\\`` are joined (the
reported line is the physical line of the offending token). Each line is split into words the way
a POSIX shell does (quotes, ``\\`` escapes, ``$(...)``, ``${...}``, GitHub's ``${{ ... }}``), into
commands at ``&&``, ``||``, ``;``, ``|``, ``&`` and parentheses; ``#`` at the start of a word starts
a comment. ``helm`` is recognised as the command word after ``sudo``, ``env``, ``VAR=value``
assignments, ``then``/``do``/``!``, YAML prefixes (``- ``, ``run:``, ``script:``), a ``$ `` prompt
and Makefile's ``@``/``-`` prefixes; ``$(HELM)``/``${HELM}`` count as helm. Commands inside
``$(...)``, backticks, ``sh -c "..."``, Jenkins' ``sh "..."`` and quoted YAML items are checked
too. Word values are unquoted with :mod:`shlex`.
"""

from __future__ import annotations

import bisect
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from resolver.linter.findings import Severity
from resolver.linter.rules.base import (
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    Rule,
    checker,
    register,
)

OCI_UNPINNED = register(
    Rule(
        id="CL401",
        name="helm-oci-unpinned",
        severity=Severity.ERROR,
        family="ci",
        summary="A `helm install/upgrade/template/pull/show` of an `oci://` chart has neither "
        "`--version` nor `@sha256:`.",
        rationale="Without a version Helm takes the newest tag in the registry at run time: the "
        "same pipeline deploys a different chart tomorrow.",
        fix="add `--version <x.y.z>` (better: `oci://...@sha256:<digest>`)",
        bad="helm upgrade --install app oci://ghcr.io/org/charts/app",
        good="helm upgrade --install app oci://ghcr.io/org/charts/app --version 1.4.2",
    )
)
INSECURE_TRANSPORT = register(
    Rule(
        id="CL402",
        name="helm-insecure-transport",
        severity=Severity.WARNING,
        family="ci",
        summary="A helm command uses `--plain-http` or `--insecure-skip-tls-verify`.",
        rationale="Charts and credentials travel without TLS, or to a server whose identity is "
        "not checked: anyone on the path can swap the chart.",
        fix="serve the registry over TLS and pass its CA with `--ca-file`",
        bad="helm pull oci://registry.local/charts/app --version 1.0.0 --insecure-skip-tls-verify",
        good="helm pull oci://registry.local/charts/app --version 1.0.0 --ca-file ca.crt",
    )
)
PASSWORD_ARGUMENT = register(
    Rule(
        id="CL403",
        name="helm-password-argument",
        severity=Severity.ERROR,
        family="ci",
        summary="`helm registry login` (or `helm repo add`) gets the password on the command "
        "line (`-p`, `--password`).",
        rationale="Arguments are visible in the process list and end up in shell traces and CI "
        "logs; the secret leaks.",
        fix='pipe it: `echo "$TOKEN" | helm registry login <host> -u <user> --password-stdin`',
        bad="helm registry login ghcr.io -u me -p $TOKEN",
        good='echo "$TOKEN" | helm registry login ghcr.io -u me --password-stdin',
    )
)
DEPENDENCY_UPDATE = register(
    Rule(
        id="CL404",
        name="helm-dependency-update-in-ci",
        severity=Severity.WARNING,
        family="ci",
        summary="CI runs `helm dependency update`, which resolves the version ranges again.",
        rationale="`update` ignores Chart.lock and rewrites it: CI builds whatever is newest in "
        "range instead of what was reviewed and locked.",
        fix="use the lock: `helm dependency build <chart>` or `chartlock pull <chart>`",
        bad="helm dependency update charts/app",
        good="chartlock pull charts/app",
    )
)
REPO_ADD_OCI = register(
    Rule(
        id="CL405",
        name="helm-repo-add-oci",
        severity=Severity.ERROR,
        family="ci",
        summary="`helm repo add` with an `oci://` URL.",
        rationale="OCI registries are not chart repositories: `helm repo add` fails on them "
        "(there is no index.yaml). OCI charts are used directly by reference.",
        fix="drop the `helm repo add`; log in with `helm registry login <host>` if needed and "
        "use `oci://host/path/chart --version x.y.z`",
        bad="helm repo add bitnami oci://registry-1.docker.io/bitnamicharts",
        good="helm install db oci://registry-1.docker.io/bitnamicharts/postgresql --version 16.4.2",
    )
)
OCI_NOT_DIGEST_PINNED = register(
    Rule(
        id="CL406",
        name="helm-oci-not-digest-pinned",
        severity=Severity.INFO,
        family="ci",
        summary="An `oci://` chart is pinned by version (a tag) but not by `@sha256:` digest.",
        rationale="A tag in a registry can be pushed again with different content; a digest "
        "cannot.",
        fix="append the manifest digest: `oci://host/path/chart@sha256:<digest>` (Helm >= 3.18)",
        bad="helm pull oci://ghcr.io/org/charts/app --version 1.4.2",
        good="helm pull oci://ghcr.io/org/charts/app@sha256:<digest> --version 1.4.2",
    )
)

_OPERATORS = frozenset(";&|()")
_BLANKS = frozenset(" \t\r\n")
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
_DEPENDENCY = frozenset(("dependency", "dep", "dependencies"))
_CHART_COMMANDS = frozenset(("install", "upgrade", "template", "pull", "fetch", "show", "inspect"))
_INSECURE_FLAGS = ("--plain-http", "--insecure-skip-tls-verify")
# Flags that take a separate value (so that value is not mistaken for a positional argument).
_VALUE_FLAGS = frozenset(
    (
        "-n",
        "--namespace",
        "--kube-context",
        "--kubeconfig",
        "--registry-config",
        "--repository-config",
        "--repository-cache",
        "--content-cache",
        "--burst-limit",
        "--qps",
        "--kube-apiserver",
        "--kube-as-user",
        "--kube-as-group",
        "--kube-ca-file",
        "--kube-token",
        "--kube-tls-server-name",
        "-f",
        "--values",
        "--set",
        "--set-string",
        "--set-file",
        "--set-json",
        "--set-literal",
        "--version",
        "--repo",
        "-u",
        "--username",
        "-p",
        "--password",
        "--ca-file",
        "--cert-file",
        "--key-file",
        "--keyring",
        "--timeout",
        "--description",
        "--post-renderer",
        "--post-renderer-args",
        "-o",
        "--output",
        "-d",
        "--destination",
        "--untardir",
        "-a",
        "--api-versions",
        "--kube-version",
        "-s",
        "--show-only",
        "--output-dir",
        "--name-template",
        "-l",
        "--labels",
        "--history-max",
        "--max",
        "--app-version",
    )
)


@dataclass(frozen=True)
class _Token:
    raw: str
    start: int  # offset in the logical line
    operator: bool = False

    @property
    def value(self) -> str:
        return _unquote(self.raw)


@dataclass
class _LogicalLine:
    text: str
    starts: list[int]  # logical offset where each physical piece starts
    lines: list[int]  # its 1-based physical line
    columns: list[int]  # its 0-based physical column

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.lines[index], self.columns[index] + offset - self.starts[index] + 1


def _unquote(raw: str) -> str:
    """The word's value (quotes removed) via shlex; unbalanced quotes are just stripped."""
    if not any(ch in raw for ch in "'\"\\"):
        return raw
    try:
        return " ".join(shlex.split(raw, posix=True))
    except ValueError:
        return raw.replace('"', "").replace("'", "")


def logical_lines(text: str) -> Iterator[_LogicalLine]:
    """Physical lines joined at a trailing backslash (comment lines never continue)."""
    pieces: list[str] = []
    starts: list[int] = []
    lines: list[int] = []
    columns: list[int] = []
    length = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        body = physical.rstrip(" \t\r")
        continued = (
            body.endswith("\\") and not body.endswith("\\\\") and not body.lstrip().startswith("#")
        )
        if continued:
            body = body[:-1] + " "
        starts.append(length)
        lines.append(number)
        columns.append(0)
        pieces.append(body)
        length += len(body)
        if not continued:
            yield _LogicalLine("".join(pieces), starts, lines, columns)
            pieces, starts, lines, columns, length = [], [], [], [], 0
    if pieces:
        yield _LogicalLine("".join(pieces), starts, lines, columns)


def _match(text: str, i: int, end: int, opening: str, closing: str) -> int:
    """Index of the bracket closing the one at ``i`` (quotes inside skipped), or ``end``."""
    depth = 0
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'" and opening == "(":
            close = text.find("'", i + 1, end)
            i = close + 1 if close >= 0 else end
            continue
        if ch == '"':
            i = _skip_double(text, i + 1, end, None)
            continue
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return end


def _skip_double(text: str, i: int, end: int, subs: list[tuple[int, int]] | None) -> int:
    """Index after the ``"`` closing a double-quoted string that starts at ``i``."""
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        if ch == "$" and i + 1 < end and text[i + 1] in "({":
            close = _match(text, i + 1, end, text[i + 1], ")" if text[i + 1] == "(" else "}")
            if subs is not None and text[i + 1] == "(" and not text.startswith("((", i + 1):
                subs.append((i + 2, close))
            i = close + 1
            continue
        if ch == "`":
            close = text.find("`", i + 1, end)
            close = close if close >= 0 else end
            if subs is not None:
                subs.append((i + 1, close))
            i = close + 1
            continue
        i += 1
    return end


def tokenize(text: str, i: int, end: int, subs: list[tuple[int, int]]) -> list[_Token]:
    """Shell words and operators of ``text[i:end]``; command substitutions go to ``subs``."""
    tokens: list[_Token] = []
    while i < end:
        ch = text[i]
        if ch in _BLANKS:
            i += 1
            continue
        if ch == "#":
            break
        if ch in _OPERATORS:
            width = 2 if text[i : i + 2] in ("&&", "||", ";;", "|&") else 1
            tokens.append(_Token(text[i : i + width], i, operator=True))
            i += width
            continue
        start = i
        while i < end:
            ch = text[i]
            if ch in _BLANKS or ch in _OPERATORS:
                break
            if ch == "\\":
                i += 2
            elif ch == "'":
                close = text.find("'", i + 1, end)
                i = close + 1 if close >= 0 else end
            elif ch == '"':
                i = _skip_double(text, i + 1, end, subs)
            elif ch == "$" and i + 1 < end and text[i + 1] in "({":
                opening = text[i + 1]
                close = _match(text, i + 1, end, opening, ")" if opening == "(" else "}")
                if opening == "(" and not text.startswith("((", i + 1):
                    subs.append((i + 2, close))
                i = close + 1
            elif ch == "`":
                close = text.find("`", i + 1, end)
                close = close if close >= 0 else end
                subs.append((i + 1, close))
                i = close + 1
            else:
                i += 1
        i = min(i, end)
        tokens.append(_Token(text[start:i], start))
    return tokens


def _commands(tokens: list[_Token]) -> Iterator[list[_Token]]:
    current: list[_Token] = []
    for token in tokens:
        if token.operator:
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


def _skip_wrappers(words: list[_Token], index: int) -> int:
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


def _quoted_inner(token: _Token) -> tuple[int, int] | None:
    """The span inside a fully quoted word (``"..."`` or ``'...'``)."""
    raw = token.raw
    if len(raw) >= 2 and raw[0] in "\"'" and raw[-1] == raw[0]:
        return token.start + 1, token.start + len(raw) - 1
    return None


@dataclass(frozen=True)
class _HelmCall:
    words: list[_Token]  # the words after ``helm``
    line: _LogicalLine


def _find_helm(line: _LogicalLine, start: int, end: int, depth: int = 0) -> Iterator[_HelmCall]:
    if depth > 4:
        return
    subs: list[tuple[int, int]] = []
    tokens = tokenize(line.text, start, end, subs)
    for words in _commands(tokens):
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
            yield _HelmCall(words[index + 1 :], line)
            continue
        inner = _quoted_inner(first)
        if inner is not None and "helm" in line.text[inner[0] : inner[1]]:
            yield from _find_helm(line, inner[0], inner[1], depth + 1)
            continue
        for position, token in enumerate(words[index + 1 :], start=index + 1):
            if (
                token.value in ("-exec", "-execdir")
                and position + 1 < len(words)
                and _is_helm(words[position + 1].value)
            ):
                yield _HelmCall(words[position + 2 :], line)
        if word not in _ECHO_LIKE:
            for token in words[index + 1 :]:
                inner = _quoted_inner(token)
                if inner is not None and (
                    word in _SHELLS or _HELM_START_RE.match(line.text, inner[0], inner[1])
                ):
                    yield from _find_helm(line, inner[0], inner[1], depth + 1)
    for sub_start, sub_end in subs:
        if "helm" in line.text[sub_start:sub_end]:
            yield from _find_helm(line, sub_start, sub_end, depth + 1)


def _shell_word(text: str) -> str:
    """``text`` as one shell word (quoted only when it needs to be)."""
    return shlex.quote(text)


def _problem(
    call: _HelmCall, token: _Token, rule: str, message: str, key: str, fix: str = ""
) -> Problem:
    offset = token.start + 1 if token.raw[:1] in "\"'" else token.start  # the value, not the quote
    line, column = call.line.position(offset)
    return Problem(rule, message, line=line, column=column, key=key, fix=fix)


def _positionals(words: list[_Token]) -> list[_Token]:
    out: list[_Token] = []
    index = 0
    while index < len(words):
        value = words[index].value
        if value.startswith("-") and len(value) > 1:
            index += 2 if "=" not in value and value in _VALUE_FLAGS else 1
            continue
        out.append(words[index])
        index += 1
    return out


def _flag_value(words: list[_Token], name: str) -> str | None:
    """The value of ``--name x``/``--name=x`` (the last one), ``None`` when absent."""
    found: str | None = None
    for index, token in enumerate(words):
        value = token.value
        if value == name:
            found = words[index + 1].value if index + 1 < len(words) else ""
        elif value.startswith(name + "="):
            found = value[len(name) + 1 :]
    return found


def _has_tag(reference: str) -> bool:
    path = reference[len("oci://") :]
    if "/" not in path:
        return False
    return ":" in path.rsplit("/", 1)[1]


def _has_digest(reference: str) -> bool:
    return "@sha256:" in reference or "@$" in reference


def check_call(call: _HelmCall) -> Iterator[Problem]:
    """All CI rules for one ``helm`` invocation."""
    words = call.words
    positionals = _positionals(words)
    names = [token.value for token in positionals]
    sub = names[0] if names else ""
    sub2 = names[1] if len(names) > 1 else ""
    command = (
        f"helm {sub} {sub2}".rstrip()
        if sub in _DEPENDENCY | {"registry", "repo"}
        else (f"helm {sub}".rstrip())
    )

    for token in words:
        value = token.value
        flag, _, setting = value.partition("=")
        if flag in _INSECURE_FLAGS and setting.lower() not in ("false", "0"):
            yield _problem(
                call,
                token,
                "CL402",
                f"`{command}` uses `{flag}`",
                f"{command}\0{flag}",
            )

    if (
        (sub == "registry" and sub2 == "login")
        or (sub == "repo" and sub2 == "add")
        or sub in ("push", "cm-push")
    ):
        for index, token in enumerate(words):
            value = token.value
            is_password = value in ("-p", "--password") and index + 1 < len(words)
            is_password |= value.startswith("--password=") or (
                value.startswith("-p") and not value.startswith("--") and len(value) > 2
            )
            if is_password:
                flag = "--password" if value.startswith("--") else "-p"
                yield _problem(
                    call,
                    token,
                    "CL403",
                    f"`{command}` takes the password as an argument (`{flag}`)",
                    f"{command}\0{flag}",
                )

    if sub in _DEPENDENCY and sub2 in ("update", "up"):
        target = names[2] if len(names) > 2 else "."
        # A word with an expansion (`$c`, `"$CHART"`) is repeated as written: quoting its value
        # would make it the literal text `$c` in the user's shell.
        word = (
            positionals[2].raw
            if len(positionals) > 2 and "$" in positionals[2].raw
            else _shell_word(target)
        )
        yield _problem(
            call,
            positionals[1],
            "CL404",
            f"`helm {sub} {sub2}` re-resolves dependency ranges in CI (ignores Chart.lock)",
            f"{sub} {sub2}\0{target}",
            # The chart the command names, not the directory of the CI file.
            fix=f"use the lock: `helm dependency build {word}` or `chartlock pull {word}`",
        )

    if sub == "repo" and sub2 == "add":
        for token in positionals[2:]:
            if token.value.lower().startswith("oci://"):
                yield _problem(
                    call,
                    token,
                    "CL405",
                    f"`helm repo add` with `{token.value}`: OCI registries are used without "
                    "repo add",
                    token.value,
                )
        return

    if sub not in _CHART_COMMANDS:
        return
    version = _flag_value(words, "--version")
    pinned_version = version is not None and version.strip() != ""
    for token in positionals[1:]:
        reference = token.value
        if not reference.lower().startswith("oci://"):
            continue
        if _has_digest(reference):
            continue
        if pinned_version or _has_tag(reference):
            yield _problem(
                call,
                token,
                "CL406",
                f"`{reference}` is pinned by version, not by digest",
                reference,
            )
        else:
            yield _problem(
                call,
                token,
                "CL401",
                f"`helm {sub} {reference}` has no `--version` and no digest",
                reference,
            )


@checker(FileKind.CI)
def check_ci(target: LintTarget, options: CheckOptions) -> list[Problem]:
    """The CI rules for one workflow, script, Makefile, Taskfile or Jenkinsfile."""
    text = target.text
    if "helm" not in text.lower():
        return []
    out: list[Problem] = []
    for line in logical_lines(text):
        if "helm" not in line.text and "HELM" not in line.text:
            continue
        for call in _find_helm(line, 0, len(line.text)):
            out.extend(check_call(call))
    out.sort(key=lambda p: (p.line, p.column, p.rule))
    return out
