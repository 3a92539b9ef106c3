#!/usr/bin/env bash
# 一条命令启动看板:创建虚拟环境并安装、升级数据库、库为空时写入演示数据,然后启动 Streamlit。
# Usage: scripts/run.sh [--port 8501]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh" app
exec "$ROOT/.venv/bin/qinglian" serve "$@"
