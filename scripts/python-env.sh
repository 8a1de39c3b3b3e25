#!/usr/bin/env bash
# Installs the project's Python tools into .venv, once per requirements change.
#   scripts/python-env.sh demo   the emulator and the AWS CLI (requirements-demo.txt): npm run demo, logvault dev
#   scripts/python-env.sh        all of that plus the template gates and test tools (requirements-dev.txt): npm test
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=${1:-dev}
case "$set_name" in
  demo) files=(requirements-demo.txt) what='moto (the AWS emulator) and the AWS CLI' ;;
  dev) files=(requirements-demo.txt requirements-dev.txt) what='moto, the AWS CLI, cfn-lint, checkov, the Encryption SDK CLI and shellcheck' ;;
  *) echo "usage: scripts/python-env.sh [demo|dev]" >&2; exit 2 ;;
esac
stamp=.venv/.requirements-$set_name.sha256
want=$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
# The full set includes the demo's, so installing it also satisfies the demo.
echo "logvault: installing $what into .venv (once; pip's progress follows)..." >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
# pip's own progress goes to stderr, so that a command's stdout stays its own.
.venv/bin/pip install --disable-pip-version-check --progress-bar on -r "${files[-1]}" 1>&2
echo "$want" > "$stamp"
if [ "$set_name" = dev ]; then
  cat requirements-demo.txt | sha256sum | cut -d' ' -f1 > .venv/.requirements-demo.sha256
fi
echo "logvault: .venv ready ($(du -sh .venv | cut -f1))" >&2
