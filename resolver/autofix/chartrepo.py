"""The mechanical Chart.yaml repository fixes of ``chartlock fix`` (issue 13, scope 2).

Pure: the new spelling of an ``oci://`` repository and where each one sits in Chart.yaml. Only
fixes whose result is certain without asking anyone are made (CL107, CL108, CL109's trailing
slash, CL110). ``http://`` → ``https://`` (CL104) is only proposed here (:func:`https_edits`):
the caller fetches both index.yaml files and keeps the edit only when they are the same.
"""

from __future__ import annotations

import yaml

from resolver.autofix.editor import ScalarEdit
from resolver.linter.rules.repository import tag_or_digest_at

# The rules whose findings in a Chart.yaml this module fixes.
CHART_RULES = frozenset(("CL104", "CL107", "CL108", "CL109", "CL110"))
_DOCKER_HUB_ALIASES = frozenset(("docker.io", "index.docker.io"))


def fixed_repository(repository: str, name: str) -> str:
    """``repository`` with the mechanical fixes applied (the same string when none applies):
    a tag or digest dropped (CL108: helm appends ``<name>:<version>`` itself), trailing
    slashes dropped (CL109), ``docker.io``/``index.docker.io`` → ``registry-1.docker.io``
    (CL110), and a trailing ``/<name>`` after a chart namespace dropped (CL107, the same test
    as the rule)."""
    if not repository.startswith("oci://"):
        return repository
    rest = repository[len("oci://") :]
    cut = tag_or_digest_at(rest)
    if cut >= 0:
        rest = rest[:cut]
    rest = rest.rstrip("/")
    host, _, path = rest.partition("/")
    if not host:
        return repository
    if host.lower() in _DOCKER_HUB_ALIASES:
        host = "registry-1.docker.io"
    segments = path.split("/") if path else []
    if (
        name
        and len(segments) >= 2
        and segments[-1] == name
        and any(word in segments[-2] for word in ("chart", "helm"))
    ):
        segments = segments[:-1]
    return "oci://" + "/".join([host, *segments])


def repository_edits(text: str) -> list[tuple[ScalarEdit, str]]:
    """The edits of every ``dependencies[].repository`` of Chart.yaml ``text`` that a
    mechanical fix changes, each with the dependency's name (none for a file that does not
    compose: the linter reports it)."""
    out: list[tuple[ScalarEdit, str]] = []
    for repo, chart in _repository_nodes(text):
        new = fixed_repository(str(repo.value), chart)
        if new != repo.value:
            mark = repo.start_mark
            out.append((ScalarEdit(mark.line + 1, mark.column + 1, str(repo.value), new), chart))
    return out


def https_edits(text: str) -> list[tuple[ScalarEdit, str]]:
    """For every ``http://`` repository of Chart.yaml ``text``: the edit to ``https://`` (the
    same host, port and path), and the http URL. Only proposals: see the module docstring."""
    out: list[tuple[ScalarEdit, str]] = []
    for node, _ in _repository_nodes(text):
        value = str(node.value)
        if value.startswith("http://"):
            mark = node.start_mark
            new = "https://" + value[len("http://") :]
            out.append((ScalarEdit(mark.line + 1, mark.column + 1, value, new), value))
    return out


def _repository_nodes(text: str) -> list[tuple[yaml.ScalarNode, str]]:
    """Every string ``dependencies[].repository`` node of Chart.yaml ``text`` with its
    dependency's name ("" when it has none)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    out: list[tuple[yaml.ScalarNode, str]] = []
    for key, deps in root.value:
        if key.value != "dependencies" or not isinstance(deps, yaml.SequenceNode):
            continue
        for dep in deps.value:
            if not isinstance(dep, yaml.MappingNode):
                continue
            fields = {k.value: v for k, v in dep.value if isinstance(k, yaml.ScalarNode)}
            repo, name = fields.get("repository"), fields.get("name")
            if isinstance(repo, yaml.ScalarNode) and repo.tag == "tag:yaml.org,2002:str":
                out.append((repo, str(name.value) if isinstance(name, yaml.ScalarNode) else ""))
    return out
