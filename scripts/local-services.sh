#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust auth, user postgres) and Redis
# (127.0.0.1:6379) answer, starting the machine's own installations if they
# do not. Kafka has its own script: scripts/kafka.sh.
#   bash scripts/local-services.sh ensure
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

wait_for() { # name check
  for _ in $(seq 1 60); do "$2" && return 0; sleep 0.5; done
  echo "$1 did not come up" >&2
  return 1
}

ensure() {
  if pg_up; then
    echo "postgres: answering on 127.0.0.1:5432"
  else
    echo "postgres: not answering; starting it"
    if command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    else
      echo "postgres: no pg_ctlcluster here; install PostgreSQL 15 (apt-get install postgresql) or set DATABASE_URL" >&2
      exit 1
    fi
    wait_for postgres pg_up
  fi
  if redis_up; then
    echo "redis: answering on 127.0.0.1:6379"
  else
    echo "redis: not answering; starting it"
    if command -v redis-server >/dev/null; then
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    else
      echo "redis: no redis-server here; install Redis 7 (apt-get install redis-server) or set REDIS_URL" >&2
      exit 1
    fi
    wait_for redis redis_up
  fi
}

case "${1:-ensure}" in
  ensure) ensure ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
