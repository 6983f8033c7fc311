"""Image rules CL301-CL306 (and the CL601 hook) on fixtures and inline values."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.linter.findings import Severity
from resolver.linter.rules.base import RULES, CheckOptions, FileKind
from resolver.linter.rules.imageref import ReferenceError, parse, registry_host
from tests.linter.rules.helpers import FIXTURES, ids, run, run_file

IMAGES = FIXTURES / "images"
D = "sha256:" + "a" * 64

POSITIVE = [
    ("cl301-image-tag-latest/bad/values.yaml", "CL301", 4, 8),
    ("cl302-image-tag-missing/bad/values.yaml", "CL302", 3, 12),
    ("cl303-image-not-pinned-by-digest/bad/values.yaml", "CL303", 4, 8),
    ("cl303-empty-tag-appversion/bad/values.yaml", "CL303", 4, 8),
    ("cl304-image-reference-invalid/bad/values.yaml", "CL304", 2, 10),
    ("cl305-image-uses-oci-scheme/bad/values.yaml", "CL305", 2, 15),
    ("cl306-image-digest-malformed/bad/values.yaml", "CL306", 1, 8),
    ("templates/bad/templates/job.yaml", "CL301", 8, 18),
]
NEGATIVE = [
    "cl301-image-tag-latest/good/values.yaml",
    "cl302-image-tag-missing/good/values.yaml",
    "cl303-image-not-pinned-by-digest/good/values.yaml",
    "cl304-image-reference-invalid/good/values.yaml",
    "cl305-image-uses-oci-scheme/good/values.yaml",
    "cl306-image-digest-malformed/good/values.yaml",
    "templates/good/templates/deployment.yaml",
]


@pytest.mark.parametrize(("fixture", "rule", "line", "column"), POSITIVE)
def test_positive_fixture(fixture: str, rule: str, line: int, column: int) -> None:
    problems = run_file(IMAGES / fixture)
    assert [(p.rule.id, p.line, p.column) for p in problems] == [(rule, line, column)]


@pytest.mark.parametrize("fixture", NEGATIVE)
def test_negative_fixture(fixture: str) -> None:
    path = IMAGES / fixture
    assert path.is_file()
    assert run_file(path) == []


def test_every_image_rule_has_a_positive_and_a_negative_fixture() -> None:
    rules = {rule for _, rule, _, _ in POSITIVE}
    assert rules == {"CL301", "CL302", "CL303", "CL304", "CL305", "CL306"}
    for rule in rules:
        prefix = rule.lower()
        assert any(f.startswith(prefix) for f in NEGATIVE) or rule == "CL303"


def test_rule_metadata_is_the_public_contract() -> None:
    expected = {
        "CL301": ("image-tag-latest", Severity.ERROR),
        "CL302": ("image-tag-missing", Severity.ERROR),
        "CL303": ("image-not-pinned-by-digest", Severity.WARNING),
        "CL304": ("image-reference-invalid", Severity.ERROR),
        "CL305": ("image-uses-oci-scheme", Severity.ERROR),
        "CL306": ("image-digest-malformed", Severity.ERROR),
    }
    for rule_id, (name, severity) in expected.items():
        rule = RULES[rule_id]
        assert (rule.name, rule.severity, rule.family) == (name, severity, "image")
        assert rule.summary and rule.rationale and rule.fix and rule.bad and rule.good


def values(text: str, options: CheckOptions | None = None) -> list[tuple[str, int, int]]:
    return [(p.rule.id, p.line, p.column) for p in run(FileKind.VALUES, text, options)]


def test_messages_name_the_value() -> None:
    (problem,) = run(FileKind.VALUES, "image: nginx:latest\n")
    assert problem.message == "`nginx:latest` uses the mutable tag `latest`"
    (problem,) = run(FileKind.VALUES, "image: nginx:1.27\n")
    assert problem.message == "`nginx:1.27` is not pinned by digest"
    assert "nginx:1.27@sha256:" in problem.fix


def test_empty_or_null_tag_is_appversion_not_missing() -> None:
    for tag in ('""', "~", "null", ""):
        problems = run(FileKind.VALUES, f"image:\n  repository: nginx\n  tag: {tag}\n")
        assert ids(problems) == ["CL303"], tag
        assert "appVersion" in problems[0].message


def test_tag_key_absent_is_missing() -> None:
    text = "image:\n  repository: nginx\n  pullPolicy: IfNotPresent\n"
    assert values(text) == [("CL302", 2, 15)]


def test_bitnami_shape_with_digest_is_clean() -> None:
    text = (
        f"image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.2.3\n  digest: {D}\n"
    )
    assert values(text) == []


def test_ingress_nginx_shape_image_key_inside_map() -> None:
    text = (
        "controller:\n  image:\n    registry: registry.k8s.io\n"
        "    image: ingress-nginx/controller\n"
        '    tag: "v1.12.0"\n    digest: ""\n'
    )
    assert values(text) == [("CL303", 5, 10)]


def test_sibling_image_tag_keys() -> None:
    assert values("logstash:\n  image: grafana/logstash\n  imageTag: 1.0.1\n") == [("CL303", 3, 13)]
    assert values("redis:\n  image: ghcr.io/o/redis_exporter\n  tag: v1.75.0\n") == [
        ("CL303", 3, 8)
    ]
    assert values("db:\n  image: clickhouse/server\n  imageVersion: ~\n") == [("CL303", 3, 17)]


def test_image_suffix_keys_and_lists() -> None:
    text = (
        "initImage: busybox:latest\nkubectlImage:\n  repository: bitnami/kubectl\n  tag: latest\n"
    )
    assert values(text) == [("CL301", 1, 12), ("CL301", 4, 8)]
    text = f"extraImage:\n  - alpine:3.20@{D}\n  - alpine\n"
    assert values(text) == [("CL302", 3, 5)]


def test_images_collections() -> None:
    text = (
        "images:\n  tag: ''\n  pullPolicy: Always\n  app:\n    repository: org/app\n    tag: v1\n"
        "  sidecar: envoyproxy/envoy:latest\n"
    )
    assert values(text) == [("CL303", 6, 10), ("CL301", 7, 12)]


def test_structural_image_map_under_any_key() -> None:
    text = "busybox:\n  repository: busybox\n  tag: latest\n  pullPolicy: IfNotPresent\n"
    assert values(text) == [("CL301", 3, 8)]


def test_non_image_repositories_are_ignored() -> None:
    text = (
        "chart:\n  repository: https://charts.example.com\n  version: 1.2.3\n"
        "source:\n  repository: git@github.com:Org/Repo.git\n  tag: v1\n"
        "helm:\n  repository: oci://ghcr.io/org/charts\n"
        "useStandaloneImage: true\nallowInsecureImages: false\nimagePullPolicy: Always\n"
        "image: ''\n"
    )
    assert values(text) == []


def test_templated_values_are_skipped() -> None:
    text = (
        'image: "{{ .Values.registry }}/app:1.0"\n'
        'other:\n  image:\n    repository: "{{ .Values.repo }}"\n    tag: latest\n'
        'third:\n  image:\n    repository: Org/App\n    tag: "{{ .Chart.AppVersion }}"\n'
    )
    assert ids(run(FileKind.VALUES, text)) == ["CL304"]


def test_invalid_references() -> None:
    for ref in ("nginx::1.0", "Nginx", "nginx:1.0 ", "my app:1", "nginx:" + "x" * 129, "a//b:1"):
        problems = run(FileKind.VALUES, f"image: {ref!r}\n")
        assert ids(problems) == ["CL304"], ref
    problems = run(FileKind.VALUES, "image:\n  repository: nginx\n  tag: 'v1+build'\n")
    assert [(p.rule.id, p.line) for p in problems] == [("CL304", 3)]


def test_registry_with_path_prefix_is_valid() -> None:
    text = 'image:\n  registry: "quay.io/coreos"\n  repository: etcd\n  tag: v3.5.0\n'
    assert ids(run(FileKind.VALUES, text)) == ["CL303"]


def test_malformed_digests() -> None:
    assert ids(run(FileKind.VALUES, "image: nginx@sha256:abc\n")) == ["CL306"]
    text = "image:\n  repository: nginx\n  tag: '1.0'\n  digest: sha256:ABCDEF\n"
    assert values(text) == [("CL306", 4, 11)]
    text = f"image:\n  repository: nginx\n  tag: '1.0@sha256:{'A' * 64}'\n"
    assert values(text) == [("CL306", 3, 8)]


def test_digest_in_tag_or_bare_sha_pins() -> None:
    text = (
        f"a:\n  image:\n    repository: x/y\n    version: {D}\n"
        f"b:\n  image:\n    repository: x/z\n    tag: v2.1.0@{D}\n"
        f"c:\n  image:\n    repository: x/w\n    tag: v1\n    sha: {'c' * 64}\n"
    )
    assert values(text) == []


def test_oci_scheme_in_string_and_registry() -> None:
    assert values("image: oci://ghcr.io/org/app:1.0\n") == [("CL305", 1, 8)]
    text = "image:\n  registry: oci://ghcr.io\n  repository: org/app\n  tag: '1'\n"
    assert values(text) == [("CL305", 2, 13)]


def test_aliases_are_checked_once() -> None:
    text = "base: &img\n  repository: nginx\n  tag: latest\na:\n  image: *img\nb:\n  image: *img\n"
    assert ids(run(FileKind.VALUES, text)) == ["CL301", "CL301", "CL301"]


def test_invalid_yaml_yields_nothing_here() -> None:
    assert run(FileKind.VALUES, "image: [unclosed\n") == []


def test_allowed_registries_cl601() -> None:
    options = CheckOptions(allowed_registries=("ghcr.io", "*.example.com"))
    text = (
        f"a:\n  image: ghcr.io/org/a:1@{D}\n"
        f"b:\n  image: registry.example.com/b:1@{D}\n"
        f"c:\n  image: nginx:1@{D}\n"
        "d:\n  image:\n    registry: quay.io\n    repository: org/d\n    tag: '1'\n"
        f"    digest: {D}\n"
    )
    problems = run(FileKind.VALUES, text, options)
    assert [(p.rule.id, p.line) for p in problems] == [("CL601", 6), ("CL601", 9)]
    assert "`docker.io`" in problems[0].message
    assert run(FileKind.VALUES, text) == []  # no allow-list: no CL601


def test_template_scan() -> None:
    text = (
        "containers:\n"
        "  - image: busybox\n"
        "    image: {{ .Values.image }}\n"
        "  # image: nginx:latest\n"
        "  - image: 'alpine:3.20' # comment\n"
        "  - image: nginx:1.27 # comment\n"
    )
    problems = run(FileKind.TEMPLATE, text)
    assert [(p.rule.id, p.line, p.column) for p in problems] == [
        ("CL302", 2, 12),
        ("CL303", 5, 12),
        ("CL303", 6, 12),
    ]


@pytest.mark.parametrize(
    ("ref", "host", "path", "tag", "digest"),
    [
        ("nginx", "docker.io", "nginx", None, None),
        ("library/nginx:1.2", "docker.io", "library/nginx", "1.2", None),
        ("localhost:5000/app:v1", "localhost:5000", "app", "v1", None),
        ("localhost/app", "localhost", "app", None, None),
        (f"ghcr.io/o/a@{D}", "ghcr.io", "o/a", None, D),
        (f"ghcr.io/o/a:1@{D}", "ghcr.io", "o/a", "1", D),
        ("[::1]:5000/app:1", "[::1]:5000", "app", "1", None),
        ("a__b/c-d---e.f:1", "docker.io", "a__b/c-d---e.f", "1", None),
    ],
)
def test_parse(ref: str, host: str, path: str, tag: str | None, digest: str | None) -> None:
    parsed = parse(ref)
    assert (parsed.host, parsed.path, parsed.tag, parsed.digest) == (host, path, tag, digest)
    assert registry_host(ref.split("@")[0].rsplit(":", 1)[0] if tag else ref.split("@")[0]) == host


@pytest.mark.parametrize(
    "ref", ["", "org/App", "app:", "app:-x", "app@sha256:zz", "a/-b", "https://x/y", "a b"]
)
def test_parse_rejects(ref: str) -> None:
    with pytest.raises(ReferenceError):
        parse(ref)


def test_fixture_files_exist() -> None:
    for fixture, *_ in POSITIVE:
        assert Path(IMAGES / fixture).is_file()
