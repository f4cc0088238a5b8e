#!/usr/bin/env bash
# Make sure a Docker engine answers: use the running one, or install Debian's docker.io and
# start dockerd in the background. Prints what it did; exit status 1 if no engine could be had.
set -uo pipefail

engine_up() { docker info >/dev/null 2>&1 || python3 - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("/var/run/docker.sock"); s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
    sys.exit(0 if b"OK" in s.recv(512) else 1)
except OSError:
    sys.exit(1)
PY
}

if [ -n "${DOCKER_HOST:-}" ]; then
  if engine_up; then echo "docker: using the engine at DOCKER_HOST=$DOCKER_HOST"; exit 0; fi
  echo "docker: DOCKER_HOST=$DOCKER_HOST does not answer" >&2; exit 1
fi
if engine_up; then echo "docker: an engine is already running"; exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "docker: no dockerd and not root: cannot install docker.io" >&2; exit 1; fi
  echo "docker: installing Debian's docker.io"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null) \
    || { echo "docker: apt-get install docker.io failed" >&2; exit 1; }
fi
if [ "$(id -u)" != 0 ]; then echo "docker: dockerd is installed but not running, and starting it needs root" >&2; exit 1; fi
echo "docker: starting dockerd (log: /tmp/leakkit-dockerd.log)"
nohup dockerd >/tmp/leakkit-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if engine_up; then echo "docker: engine ready"; exit 0; fi
  sleep 1
done
echo "docker: dockerd did not answer within 60s; its log ends with:" >&2
tail -n 20 /tmp/leakkit-dockerd.log >&2
exit 1
