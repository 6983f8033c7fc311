"""CI rules (CL401-CL406): how ``helm`` is called in workflows, scripts and Makefiles.

Files: ``.github/workflows/*.y*ml``, ``.gitlab-ci.yml``, ``*.sh``, ``Makefile``, ``Taskfile.y*ml``
and ``Jenkinsfile``. The text is scanned, not parsed as YAML: a ``run: |`` block, a GitLab
``script:`` item and a Makefile recipe are all shell lines, split into words as a POSIX shell
does (:mod:`resolver.linter.shell`; the reported line is the physical line of the offending
token), in which :mod:`resolver.linter.rules.helmcalls` finds the ``helm`` invocations. This
module holds the rules: what each invocation's subcommand, flags and references may be.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

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
from resolver.linter.rules.helmcalls import HelmCall, find_helm
from resolver.linter.shell import Token, logical_lines

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


def _shell_word(text: str) -> str:
    """``text`` as one shell word (quoted only when it needs to be)."""
    return shlex.quote(text)


def _problem(
    call: HelmCall, token: Token, rule: Rule, message: str, key: str, fix: str = ""
) -> Problem:
    offset = token.start + 1 if token.raw[:1] in "\"'" else token.start  # the value, not the quote
    line, column = call.line.position(offset)
    return Problem(rule, message, line=line, column=column, key=key, fix=fix)


def _positionals(words: list[Token]) -> list[Token]:
    out: list[Token] = []
    index = 0
    while index < len(words):
        value = words[index].value
        if value.startswith("-") and len(value) > 1:
            index += 2 if "=" not in value and value in _VALUE_FLAGS else 1
            continue
        out.append(words[index])
        index += 1
    return out


def _flag_value(words: list[Token], name: str) -> str | None:
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


def check_call(call: HelmCall) -> Iterator[Problem]:
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
                INSECURE_TRANSPORT,
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
                    PASSWORD_ARGUMENT,
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
            DEPENDENCY_UPDATE,
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
                    REPO_ADD_OCI,
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
                OCI_NOT_DIGEST_PINNED,
                f"`{reference}` is pinned by version, not by digest",
                reference,
            )
        else:
            yield _problem(
                call,
                token,
                OCI_UNPINNED,
                f"`helm {sub} {reference}` has no `--version` and no digest",
                reference,
            )


# The rules this module's checker reports.
CI_RULES = (
    OCI_UNPINNED,
    INSECURE_TRANSPORT,
    PASSWORD_ARGUMENT,
    DEPENDENCY_UPDATE,
    REPO_ADD_OCI,
    OCI_NOT_DIGEST_PINNED,
)


@checker(FileKind.CI, emits=CI_RULES)
def check_ci(target: LintTarget, options: CheckOptions) -> list[Problem]:
    """The CI rules for one workflow, script, Makefile, Taskfile or Jenkinsfile."""
    text = target.text
    if "helm" not in text.lower():
        return []
    out: list[Problem] = []
    for line in logical_lines(text):
        if "helm" not in line.text and "HELM" not in line.text:
            continue
        for call in find_helm(line, 0, len(line.text)):
            out.extend(check_call(call))
    out.sort(key=lambda p: (p.line, p.column, p.rule.id))
    return out
