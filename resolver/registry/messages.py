"""Registry error codes → one line: what happened and what to do."""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    "UNAUTHORIZED": (
        "unauthorized: authentication required",
        "run `helm registry login {registry}` or `docker login {registry}`",
    ),
    "DENIED": (
        "denied: requested access to the resource is denied",
        "check that your account may pull {repository}",
    ),
    "MANIFEST_UNKNOWN": (
        "manifest unknown",
        "check the version, or push the chart",
    ),
    "NAME_UNKNOWN": (
        "name unknown: repository not known to registry",
        "check the repository URL and the chart name",
    ),
    "NAME_INVALID": (
        "name invalid",
        "use a lowercase chart name without special characters",
    ),
    "TOOMANYREQUESTS": (
        "too many requests: the registry is rate-limiting",
        "wait and retry, or log in to get a higher limit",
    ),
    "BLOB_UNKNOWN": ("blob unknown", "the registry lost the chart's content; push it again"),
}


def describe(code: str, registry: str, repository: str, detail: str = "") -> str:
    cause, fix = CODES.get(code, (code.lower().replace("_", " ") or "error", ""))
    text = f"{registry}/{repository}: {cause}"
    if detail and detail.lower() not in cause.lower():
        text += f" ({detail})"
    if fix:
        text += "; " + fix.format(registry=registry, repository=f"{registry}/{repository}")
    return text
