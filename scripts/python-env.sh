#!/usr/bin/env bash
# Installs the local AWS emulator and template gates into .venv, once per requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ -x .venv/bin/moto_server ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
echo "logvault: installing moto, cfn-lint, checkov and the AWS CLI into .venv (first run only)..." >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
echo "$want" > "$stamp"
