"""CI rules CL401-CL406 on fixtures and inline snippets."""

from __future__ import annotations

import pytest

from resolver.linter.findings import Severity
from resolver.linter.rules.base import RULES, FileKind
from tests.linter.rules.helpers import FIXTURES, ids, run, run_file

CI = FIXTURES / "ci"
D = "sha256:" + "a" * 64

POSITIVE = [
    ("cl401-helm-oci-unpinned/bad/.github/workflows/deploy.yml", "CL401", 9, 13),
    ("cl402-helm-insecure-transport/bad/scripts/publish.sh", "CL402", 3, 53),
    ("cl403-helm-password-argument/bad/.gitlab-ci.yml", "CL403", 3, 48),
    ("cl404-helm-dependency-update-in-ci/bad/Makefile", "CL404", 2, 12),
    ("cl405-helm-repo-add-oci/bad/Jenkinsfile", "CL405", 5, 35),
    ("cl406-helm-oci-not-digest-pinned/bad/Taskfile.yml", "CL406", 5, 20),
]
NEGATIVE = [
    "cl401-helm-oci-unpinned/good/.github/workflows/deploy.yml",
    "cl402-helm-insecure-transport/good/scripts/publish.sh",
    "cl403-helm-password-argument/good/.gitlab-ci.yml",
    "cl404-helm-dependency-update-in-ci/good/Makefile",
    "cl405-helm-repo-add-oci/good/Jenkinsfile",
    "cl406-helm-oci-not-digest-pinned/good/Taskfile.yml",
]


@pytest.mark.parametrize(("fixture", "rule", "line", "column"), POSITIVE)
def test_positive_fixture(fixture: str, rule: str, line: int, column: int) -> None:
    problems = run_file(CI / fixture)
    assert [(p.rule.id, p.line, p.column) for p in problems] == [(rule, line, column)]


@pytest.mark.parametrize("fixture", NEGATIVE)
def test_negative_fixture(fixture: str) -> None:
    path = CI / fixture
    assert path.is_file()
    assert run_file(path) == []


def test_rule_metadata_is_the_public_contract() -> None:
    expected = {
        "CL401": ("helm-oci-unpinned", Severity.ERROR),
        "CL402": ("helm-insecure-transport", Severity.WARNING),
        "CL403": ("helm-password-argument", Severity.ERROR),
        "CL404": ("helm-dependency-update-in-ci", Severity.WARNING),
        "CL405": ("helm-repo-add-oci", Severity.ERROR),
        "CL406": ("helm-oci-not-digest-pinned", Severity.INFO),
    }
    for rule_id, (name, severity) in expected.items():
        rule = RULES[rule_id]
        assert (rule.name, rule.severity, rule.family) == (name, severity, "ci")
        assert rule.summary and rule.rationale and rule.fix and rule.bad and rule.good


def ci(text: str) -> list[tuple[str, int, int]]:
    return [(p.rule.id, p.line, p.column) for p in run(FileKind.CI, text)]


@pytest.mark.parametrize(
    "command",
    [
        "helm install app oci://h/ns/app",
        "helm upgrade --install app oci://h/ns/app --atomic",
        "helm upgrade -i app oci://h/ns/app -n prod",
        "helm template oci://h/ns/app",
        "helm pull oci://h/ns/app --untar",
        "helm show values oci://h/ns/app",
        "helm --namespace x install app oci://h/ns/app",
        "sudo -E helm install app oci://h/ns/app",
        "KUBECONFIG=/k HELM_DEBUG=1 helm install app oci://h/ns/app",
        "/usr/local/bin/helm install app 'oci://h/ns/app'",
        "cd charts && helm install app oci://h/ns/app",
        "true; helm install app oci://h/ns/app | tee log",
        "if helm install app oci://h/ns/app; then echo ok; fi",
        "helm install app oci://${{ env.REGISTRY }}/ns/app --set a=b",
        "helm install app oci://h/ns/app --version ''",
        "$ helm install app oci://h/ns/app",
    ],
)
def test_cl401_variants(command: str) -> None:
    assert ids(run(FileKind.CI, command + "\n")) == ["CL401"], command


@pytest.mark.parametrize(
    "command",
    [
        "helm install app oci://h/ns/app --version 1.2.3",
        "helm install app oci://h/ns/app --version=1.2.3",
        'helm install --version "$VER" app oci://h/ns/app',
        "helm install app oci://h/ns/app --version ${{ inputs.version }}",
        "helm install app oci://h/ns/app --version $(cat VERSION)",
        "helm install app oci://h/ns/app:1.2.3",
        "helm install app oci://localhost:5000/app:1.2.3",
    ],
)
def test_version_pinned_is_cl406(command: str) -> None:
    assert ids(run(FileKind.CI, command + "\n")) == ["CL406"], command


@pytest.mark.parametrize(
    "command",
    [
        f"helm install app oci://h/ns/app@{D}",
        f"helm install app oci://h/ns/app@{D} --version 1.2.3",
        "helm install app oci://h/ns/app@${DIGEST}",
        "helm install app ./charts/app",
        "helm install app bitnami/nginx",
        "helm push app.tgz oci://h/ns",
        "# helm install app oci://h/ns/app",
        "echo 'helm install app oci://h/ns/app'",
        "helmfile apply oci://h/ns/app",
        "myhelm install oci://h/ns/app",
        "git commit -m 'helm install app oci://h/ns/app'",
    ],
)
def test_not_cl401(command: str) -> None:
    assert ids(run(FileKind.CI, command + "\n")) == [], command


def test_hash_inside_quotes_is_not_a_comment() -> None:
    assert ci('echo "#1" && helm install app oci://h/ns/app\n') == [("CL401", 1, 31)]
    assert ci("echo foo#bar; helm install app oci://h/ns/app\n") == [("CL401", 1, 32)]


def test_continuations_report_the_physical_line() -> None:
    text = "helm upgrade --install \\\n  app \\\n  oci://h/ns/app \\\n  --wait\n"
    assert ci(text) == [("CL401", 3, 3)]
    text = "helm upgrade --install app \\\n  oci://h/ns/app \\\n  --version 1.0.0\n"
    assert ci(text) == [("CL406", 2, 3)]
    # a comment line ending in a backslash does not continue
    assert ci("# helm pull \\\nhelm version\n") == []


def test_yaml_prefixes_and_quoted_items() -> None:
    text = (
        "jobs:\n  a:\n    steps:\n"
        "      - run: helm pull oci://h/ns/a\n"
        '      - run: "helm pull oci://h/ns/b"\n'
        "script:\n"
        "  - helm pull oci://h/ns/c\n"
        "  - 'helm pull oci://h/ns/d'\n"
        "      - name: helm pull oci://h/ns/not-a-command\n"
    )
    assert ci(text) == [
        ("CL401", 4, 24),
        ("CL401", 5, 25),
        ("CL401", 7, 15),
        ("CL401", 8, 16),
    ]


def test_substitutions_shells_and_wrappers() -> None:
    assert ids(run(FileKind.CI, "V=$(helm show chart oci://h/ns/app | yq .version)\n")) == ["CL401"]
    assert ids(run(FileKind.CI, "V=`helm show chart oci://h/ns/app`\n")) == ["CL401"]
    assert ids(run(FileKind.CI, "bash -c 'helm pull oci://h/ns/app'\n")) == ["CL401"]
    assert ids(run(FileKind.CI, 'sh "helm pull oci://h/ns/app"\n')) == ["CL401"]
    assert ids(run(FileKind.CI, "ls | xargs -L 1 helm dep up\n")) == ["CL404"]
    assert ids(run(FileKind.CI, "find . -exec helm dependency update {} \\;\n")) == ["CL404"]
    assert ids(run(FileKind.CI, "\t$(GO_TOOL) helm dependency update charts/x\n")) == ["CL404"]
    assert ids(run(FileKind.CI, "\t$(HELM) dependency update charts/x\n")) == ["CL404"]


def test_cl402_insecure_flags() -> None:
    assert ci("helm pull oci://h/a --version 1 --insecure-skip-tls-verify\n") == [
        ("CL406", 1, 11),
        ("CL402", 1, 33),
    ]
    assert ids(run(FileKind.CI, "helm registry login h --plain-http=true -u u\n")) == ["CL402"]
    assert ids(run(FileKind.CI, "helm registry login h --plain-http=false -u u\n")) == []


@pytest.mark.parametrize(
    "command",
    [
        "helm registry login h -u me -p s3cr3t-value",
        "helm registry login h -u me --password s3cr3t-value",
        "helm registry login h -u me --password=s3cr3t-value",
        "helm registry login h -u me -ps3cr3t-value",
        "helm repo add r https://h --username me --password s3cr3t-value",
        "helm cm-push c.tgz r -u me -p s3cr3t-value",
    ],
)
def test_cl403_never_echoes_the_password(command: str) -> None:
    problems = run(FileKind.CI, command + "\n")
    assert ids(problems) == ["CL403"]
    for problem in problems:
        assert "s3cr3t" not in problem.message
        assert "s3cr3t" not in problem.key
        assert "s3cr3t" not in problem.fix


def test_cl403_near_misses() -> None:
    assert run(FileKind.CI, "echo $T | helm registry login h -u me --password-stdin\n") == []
    assert run(FileKind.CI, "helm package -p charts/x\n") == []  # not a login
    assert run(FileKind.CI, "docker login -u me -p secret\n") == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("helm dependency update charts/a", ["CL404"]),
        ("helm dependencies update charts/a", ["CL404"]),
        ("helm dep up charts/a", ["CL404"]),
        ("helm dependency up", ["CL404"]),
        ("helm dependency build charts/a", []),
        ("helm dependency list charts/a", []),
        ("helm repo update", []),
    ],
)
def test_cl404(command: str, expected: list[str]) -> None:
    assert ids(run(FileKind.CI, command + "\n")) == expected


def test_cl405() -> None:
    assert ci("helm repo add bitnami oci://registry-1.docker.io/bitnamicharts\n") == [
        ("CL405", 1, 23)
    ]
    assert run(FileKind.CI, "helm repo add bitnami https://charts.bitnami.com/bitnami\n") == []


def test_unbalanced_quotes_do_not_crash() -> None:
    assert ids(run(FileKind.CI, "helm pull 'oci://h/ns/app\n")) == ["CL401"]
    assert run(FileKind.CI, 'helm install "$(\n') == []
