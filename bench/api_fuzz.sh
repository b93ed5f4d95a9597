#!/usr/bin/env bash
# schemathesis against the service's own OpenAPI schema on loopback; fails on any 5xx.
set -euo pipefail
model_dir="${1:-checkpoints/latest}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MODEL_DIR="$model_dir" LOG_JSON=false python3 -m uvicorn --factory serving.app:app_factory --host 127.0.0.1 --port "$port" --log-level warning &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
  sleep 0.5
done
schemathesis run "http://127.0.0.1:$port/openapi.json" --checks not_a_server_error --max-examples "${MAX_EXAMPLES:-60}" --request-timeout 60 --seed 13
