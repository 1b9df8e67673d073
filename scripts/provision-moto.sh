#!/usr/bin/env bash
# A virtualenv with moto's DynamoDB server, cached outside the repo. Idempotent.
set -euo pipefail
MOTO_VERSION="5.2.5"
VENV="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/moto-$MOTO_VERSION"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import moto, flask, flask_cors" 2>/dev/null; then
  echo "moto $MOTO_VERSION: cached at $VENV"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "moto[dynamodb]==$MOTO_VERSION" flask flask-cors
echo "moto $MOTO_VERSION: installed at $VENV"
