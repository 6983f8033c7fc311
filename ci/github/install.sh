#!/usr/bin/env bash
# Install chartlock for action.yml into a virtual environment of the runner's Python (system
# Pythons refuse `pip install` there, PEP 668). Inputs: INPUT_VERSION, INPUT_PYTHON.
# Outputs (GITHUB_OUTPUT): chartlock=<executable>, python=<interpreter for the helper scripts>.
set -euo pipefail

# The directory action.yml's actions/cache step keeps (pip's default differs on macOS).
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}"
version="${INPUT_VERSION:-}"
python="${INPUT_PYTHON:-python3}"

if [ "$version" = preinstalled ]; then
  if ! exe="$(command -v chartlock)"; then
    echo "::error title=chartlock::version is 'preinstalled' but no chartlock is on PATH"
    exit 2
  fi
  interpreter="$(command -v "$python")"
else
  venv="${RUNNER_TEMP:?}/chartlock-venv"
  "$python" -m venv "$venv"
  if [ -z "$version" ]; then
    spec="${GITHUB_ACTION_PATH:?}"  # this action's own checkout: action and tool match
  else
    spec="chartlock==$version"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
  exe="$venv/bin/chartlock"
  interpreter="$venv/bin/python"
fi

"$exe" --version
{
  echo "chartlock=$exe"
  echo "python=$interpreter"
} >>"${GITHUB_OUTPUT:?}"
