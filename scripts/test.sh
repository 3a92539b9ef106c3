#!/usr/bin/env bash
# 一条命令运行全部测试:创建虚拟环境并安装(含测试依赖),需要时安装 Debian 的 chromium 与中文字体,然后运行 pytest。
# Extra arguments go to pytest, e.g. scripts/test.sh -k plan
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh" test

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> 安装 chromium 与 fonts-noto-cjk(浏览器测试需要)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "!! 未找到 chromium 或中文字体,且不是 root:浏览器测试将跳过。请先安装:apt-get install chromium fonts-noto-cjk"
  fi
fi

cd "$ROOT"
# two workers (pytest-xdist), each test file on one worker (module fixtures built once); `-n 0` runs in one process
exec "$ROOT/.venv/bin/python" -m pytest -n 2 --dist loadfile "$@"
