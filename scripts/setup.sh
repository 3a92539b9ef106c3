#!/usr/bin/env bash
# Shared set-up for scripts/run.sh and scripts/test.sh: a project virtualenv with the package installed.
# Idempotent: a second run only re-checks the install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON_BIN="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> 创建虚拟环境 $VENV"
  "$PYTHON_BIN" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-$1"
if [ ! -f "$stamp" ]; then
  echo "==> 安装依赖($1)"
  if [ "$1" = "test" ]; then extra='.[test]'; else extra='.'; fi
  (cd "$ROOT" && "$VENV/bin/python" -m pip install --quiet -e "$extra")
  touch "$stamp"
fi
