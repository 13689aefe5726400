#!/usr/bin/env bash
# Start the local services palermo's tests use, if they are not running already.
# PostgreSQL is required; Redis and NATS are started when installed (exchange tests use NATS).
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 0.5
  done
  echo "ensure-services: $name did not come up on port $port" >&2
  return 1
}

if ! port_open 5432; then
  echo "ensure-services: starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    echo "ensure-services: PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
  fi
  wait_port 5432 PostgreSQL
fi

if ! port_open 6379 && command -v redis-server >/dev/null; then
  echo "ensure-services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi

if ! port_open 4222 && [ -x /usr/sbin/nats-server ]; then
  echo "ensure-services: starting NATS"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
  wait_port 4222 NATS || true
fi
echo "ensure-services: PostgreSQL ready"
