#!/usr/bin/env bash
# Installs TensorBoard (its Python loader and RustBoard, the tensorboard-data-server binary) into a
# virtualenv under /tmp, for bench/tensorboard.bench.ts only: never a dependency of lossboard or its
# tests. Usage: bash bench/setup-tensorboard.sh [VENV_DIR]   (default /tmp/lossboard-tb-venv)
set -euo pipefail
VENV="${1:-${LOSSBOARD_TB_VENV:-/tmp/lossboard-tb-venv}}"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet tensorboard tensorboard-data-server
"$VENV/bin/python" -c 'import tensorboard, tensorboard_data_server as s; print("tensorboard", tensorboard.__version__, "data server", s.server_binary())'
