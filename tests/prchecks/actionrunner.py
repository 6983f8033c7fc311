"""Run a composite action's steps locally, the way the GitHub Actions runner does.

For each step in order: a ``uses:`` step is not run (it is returned for inspection); a ``run:``
step is written to a script file and run as ``bash --noprofile --norc -eo pipefail FILE`` (the
runner's ``shell: bash``) in ``GITHUB_WORKSPACE``, with the step's ``env:`` evaluated, a fresh
``GITHUB_OUTPUT`` file per step and one ``GITHUB_STEP_SUMMARY`` for the job. Inputs reach
steps exactly as the runner gives them to composite steps: only through the expressions of the
step's ``env:`` (``${{ inputs.x }}``, defaults from action.yml), which this module evaluates;
``run:`` bodies must contain no expression at all (that is what keeps them injection-free).
After a failed step only ``if: always()`` steps would run; the run stops there.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_INPUT = re.compile(r"inputs\.([A-Za-z0-9_-]+)")
_STEP_OUTPUT = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")
_GITHUB = re.compile(r"github((?:\.[A-Za-z0-9_-]+)+)")


@dataclass
class StepResult:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionRun:
    steps: list[StepResult] = field(default_factory=list)
    skipped_uses: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def failed(self) -> bool:
        return any(s.returncode != 0 for s in self.steps)


def parse_outputs(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIM`` … ``DELIM`` blocks, like the runner."""
    outputs: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body: list[str] = []
            i += 1
            while lines[i] != delim:
                body.append(lines[i])
                i += 1
            outputs[name] = "\n".join(body)
        elif line:
            name, _, value = line.partition("=")
            outputs[name] = value
        i += 1
    return outputs


class Evaluator:
    def __init__(
        self,
        inputs: dict[str, str],
        step_outputs: dict[str, dict[str, str]],
        github: dict[str, Any],
    ):
        self.inputs = inputs
        self.step_outputs = step_outputs
        self.github = github

    def value(self, expression: str) -> str:
        if m := _INPUT.fullmatch(expression):
            return self.inputs[m.group(1)]
        if m := _STEP_OUTPUT.fullmatch(expression):
            return self.step_outputs.get(m.group(1), {}).get(m.group(2), "")
        if m := _GITHUB.fullmatch(expression):
            value: Any = self.github
            for part in m.group(1).split(".")[1:]:
                value = value.get(part) if isinstance(value, dict) else None
            return "" if value is None else str(value)  # a missing property is null: ""
        raise AssertionError(f"expression the local runner does not model: {expression!r}")

    def substitute(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), text)


def run_composite(
    action_file: Path,
    with_inputs: dict[str, str],
    *,
    workspace: Path,
    temp: Path,
    env: dict[str, str],
    github: dict[str, Any] | None = None,
) -> ActionRun:
    """Run ``action_file`` with ``with_inputs``; ``github`` is the github context (event...)."""
    action = yaml.safe_load(action_file.read_text("utf-8"))
    assert action["runs"]["using"] == "composite"
    declared = action.get("inputs", {})
    unknown = set(with_inputs) - set(declared)
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    inputs.update(with_inputs)
    step_outputs: dict[str, dict[str, str]] = {}
    evaluator = Evaluator(inputs, step_outputs, github or {"event": {}})
    summary = temp / "step_summary.md"
    summary.write_text("", "utf-8")
    result = ActionRun()
    for index, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            result.skipped_uses.append(step)
            continue
        assert step.get("shell") == "bash", step
        assert "${{" not in step["run"], f"expression in a run: body: {step['run']!r}"
        out_file = temp / f"output-{index}"
        out_file.write_text("", "utf-8")
        step_env = dict(env)
        step_env.update(
            {
                "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_ACTION_PATH": str(action_file.parent),
                "GITHUB_OUTPUT": str(out_file),
                "GITHUB_STEP_SUMMARY": str(summary),
                "RUNNER_TEMP": str(temp),
                "RUNNER_OS": "Linux",
                "GITHUB_ACTIONS": "true",
            }
        )
        for name, value in (step.get("env") or {}).items():
            step_env[name] = evaluator.substitute(str(value))
        script = temp / f"step-{index}.sh"
        script.write_text(step["run"], "utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=step_env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        outputs = parse_outputs(out_file.read_text("utf-8"))
        if "id" in step:
            step_outputs[step["id"]] = outputs
        result.steps.append(
            StepResult(
                step.get("name", str(index)), proc.returncode, proc.stdout, proc.stderr, outputs
            )
        )
        if proc.returncode != 0:
            break
    result.outputs = {
        name: evaluator.substitute(str(spec["value"]))
        for name, spec in (action.get("outputs") or {}).items()
    }
    result.summary = summary.read_text("utf-8")
    return result
