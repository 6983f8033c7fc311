#!/usr/bin/env bash
# Run the checks action.yml asks for, each once, and hand the results to summarize.py.
#
# Each report check (check, lint, verify) prints text to the log and writes SARIF, Markdown and
# JSON next to each other (--report-file); lock-check writes text. summarize.py turns the JSON
# into annotations: on a pull request only those on changed lines (INPUT_ANNOTATIONS=changed),
# read from `git diff BASE_SHA HEAD` when the base commit is in the clone.
# Exit codes are collected, never fatal here: summarize.py decides the step's exit code.
set -uo pipefail

: "${CHARTLOCK:?}" "${GITHUB_OUTPUT:?}" "${RUNNER_TEMP:?}"
out="$RUNNER_TEMP/chartlock"
rm -rf "$out"
mkdir -p "$out"

# Inputs may be YAML block scalars: newlines separate like spaces (`read` stops at the first).
paths_text="${INPUT_PATHS:-.}"
read -r -a paths <<<"${paths_text//$'\n'/ }"
[ "${#paths[@]}" -gt 0 ] || paths=(.)
checks_text="${INPUT_CHECKS:-}"
checks_text="${checks_text//,/ }"
read -r -a checks <<<"${checks_text//$'\n'/ }"
if [ "${#checks[@]}" -eq 0 ]; then
  echo "::error title=chartlock::no checks given (checks: any of check, lint, verify, lock-check)"
  exit 2
fi

registry=()
[ "${INPUT_PLAIN_HTTP:-false}" = true ] && registry+=(--plain-http)
[ "${INPUT_INSECURE_SKIP_TLS_VERIFY:-false}" = true ] && registry+=(--insecure-skip-tls-verify)
[ -n "${INPUT_CA_FILE:-}" ] && registry+=(--ca-file "$INPUT_CA_FILE")
[ -n "${INPUT_REPOSITORY_CONFIG:-}" ] && registry+=(--repository-config "$INPUT_REPOSITORY_CONFIG")

baseline=()
[ -n "${INPUT_BASELINE:-}" ] && baseline=(--baseline "$INPUT_BASELINE")

ran=()
for check in "${checks[@]}"; do
  reports=(--format text
    --report-file "sarif=$out/$check.sarif"
    --report-file "markdown=$out/$check.md"
    --report-file "json=$out/$check.json")
  case "$check" in
    check)
      args=(check "${reports[@]}" "${baseline[@]}")
      [ -n "${INPUT_REPOSITORY_CONFIG:-}" ] && args+=(--repository-config "$INPUT_REPOSITORY_CONFIG")
      ;;
    lint)
      args=(lint "${reports[@]}" "${baseline[@]}" --fail-on "${INPUT_FAIL_ON:-error}")
      [ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
      [ "${INPUT_ONLINE:-false}" = true ] && args+=(--online "${registry[@]}")
      ;;
    verify)
      args=(verify "${reports[@]}" "${baseline[@]}" "${registry[@]}")
      ;;
    lock-check)
      args=(lock --check "${registry[@]}")
      ;;
    *)
      # Not a file name: the input is arbitrary text.
      name="unknown-${#ran[@]}"
      echo "::error title=chartlock::unknown check '$check' (expected check, lint, verify or lock-check)"
      echo "chartlock: error: unknown check '$check'" >"$out/$name.err"
      echo 2 >"$out/$name.rc"
      ran+=("$name")
      continue
      ;;
  esac
  echo "::group::chartlock ${args[0]}"
  # stderr goes to a file first (summarize.py quotes the errors), then to the log.
  if [ "$check" = lock-check ]; then
    "$CHARTLOCK" "${args[@]}" -- "${paths[@]}" >"$out/$check.txt" 2>"$out/$check.err"
    rc=$?
    cat "$out/$check.txt"
  else
    "$CHARTLOCK" "${args[@]}" -- "${paths[@]}" 2>"$out/$check.err"
    rc=$?
  fi
  cat "$out/$check.err" >&2
  echo "$rc" >"$out/$check.rc"
  echo "::endgroup::"
  ran+=("$check")
done

changed=()
if [ "${INPUT_ANNOTATIONS:-changed}" = changed ] && [ -n "${BASE_SHA:-}" ]; then
  if git cat-file -e "$BASE_SHA^{commit}" 2>/dev/null \
    && git diff --unified=0 --no-color --no-ext-diff "$BASE_SHA" HEAD -- >"$out/changes.diff"; then
    changed=(--changed "$out/changes.diff")
  else
    echo "::notice title=chartlock::base commit $BASE_SHA is not in the clone (fetch-depth: 0 brings it): annotating every finding"
  fi
fi

exec "${CHARTLOCK_PYTHON:-python3}" "$(dirname "${BASH_SOURCE[0]}")/summarize.py" \
  --out "$out" --fail-on "${INPUT_FAIL_ON:-error}" --summary "${INPUT_SUMMARY:-true}" \
  --annotations "${INPUT_ANNOTATIONS:-changed}" "${changed[@]}" -- "${ran[@]}"
