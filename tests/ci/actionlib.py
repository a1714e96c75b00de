"""actionlib: runs the composite GitHub Action in action.yml locally, as the
runner would run its `run:` steps: `if:` conditions (the few forms the
action uses), `${{ inputs.* }}` and `${{ github.workspace }}` put into env:
and working-directory:, GITHUB_ACTION_PATH, GITHUB_ENV and GITHUB_PATH
files carried from step to step, each script under `bash -e {0}` with
`--noprofile --norc -eo pipefail` as GitHub's bash shell. `uses:` steps are
not run. Shared by tests/ci/action.py and workflow.py."""
import glob
import os
import re
import shutil
import subprocess

import yaml


def load(src):
    return yaml.safe_load(open(os.path.join(src, "action.yml")))


def _expr(text, values):
    def sub(m):
        key = m.group(1).strip()
        if key not in values:
            raise KeyError("unknown expression ${{ %s }}" % key)
        return values[key]
    return re.sub(r"\$\{\{(.*?)\}\}", sub, str(text))


def _condition(cond, values, failed):
    """True when a step runs: GitHub's default is success()."""
    if cond is None:
        return not failed
    py = cond.replace("&&", " and ").replace("||", " or ").replace("!=", " != ").replace("==", " == ")
    py = py.replace("always()", "True").replace("success()", repr(not failed)).replace("failure()", repr(failed))
    py = re.sub(r"\b(inputs\.[\w-]+|github\.\w+)", lambda m: repr(values[m.group(1)]), py)
    if not re.fullmatch(r"[\sA-Za-z'()!=/\w.:*-]*", py):
        raise ValueError("condition not understood: %r" % cond)
    ok = eval(py, {"__builtins__": {}})     # noqa: S307 (the action's own conditions, checked above)
    return bool(ok) and ("always()" in cond or "failure()" in cond or not failed)


def run(action, src, inputs, workspace, temp, base_env, skip=()):
    """Runs the steps in order; returns [(name, CompletedProcess or None when skipped)]."""
    values = {"inputs." + k: str(v.get("default", "")) for k, v in action.get("inputs", {}).items()}
    values.update({"inputs." + k: v for k, v in inputs.items()})
    values["github.workspace"] = workspace
    os.makedirs(temp, exist_ok=True)
    env_file, path_file = os.path.join(temp, "github_env"), os.path.join(temp, "github_path")
    open(env_file, "w").close()
    open(path_file, "w").close()
    results, failed = [], False
    for step in action["runs"]["steps"]:
        name = step.get("name", step.get("uses"))
        if "run" not in step or name in skip or not _condition(step.get("if"), values, failed):
            results.append((name, None))
            continue
        env = dict(base_env, GITHUB_ACTION_PATH=src, GITHUB_WORKSPACE=workspace, RUNNER_TEMP=temp,
                   GITHUB_ENV=env_file, GITHUB_PATH=path_file)
        for line in open(env_file).read().splitlines():
            k, _, v = line.partition("=")
            env[k] = v
        extra_path = [p for p in open(path_file).read().splitlines() if p]
        env["PATH"] = os.pathsep.join(extra_path[::-1] + [env["PATH"]])
        env.update({k: _expr(v, values) for k, v in step.get("env", {}).items()})
        cwd = _expr(step.get("working-directory", workspace), values)
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                           cwd=cwd, env=env, capture_output=True, text=True)
        failed = failed or r.returncode != 0
        results.append((name, r))
    return results


def mapping_repo(src, work):
    """The layout docs/ci.md describes, made of the examples: WORK/mappings/*.map,
    their field definitions in mappings/schemas/, test cases beside them, in a
    git repository (the mappings' tree). Returns the mappings' folder."""
    shutil.rmtree(work, ignore_errors=True)
    mappings = os.path.join(work, "mappings")
    shutil.copytree(os.path.join(src, "examples", "schemas"), os.path.join(mappings, "schemas"))
    os.makedirs(os.path.join(work, ".git"))
    # the file the examples include, apart: it is no mapping of its own to check
    os.makedirs(os.path.join(mappings, "shared"))
    shutil.copy(os.path.join(src, "examples", "common.map"), os.path.join(mappings, "shared"))
    for map_path in sorted(glob.glob(os.path.join(src, "examples", "*", "*.map"))):
        system = os.path.basename(os.path.dirname(map_path))
        text = open(map_path, encoding="utf-8").read().replace('"../schemas/', '"schemas/')
        text = text.replace('include "../common.map"', 'include "shared/common.map"')
        open(os.path.join(mappings, system + ".map"), "w", encoding="utf-8").write(text)
        cases = map_path[:-len(".map")] + ".test.json"
        if os.path.exists(cases):
            shutil.copy(cases, os.path.join(mappings, system + ".test.json"))
    return mappings
