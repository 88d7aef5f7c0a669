#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL server: `initdb` in a new temporary folder,
# the server listening on a Unix socket in that folder only (no TCP port), the command run
# with TEST_DATABASE_URL pointing at it, then the server stopped and the folder removed,
# whatever happens (the command's exit status is kept).
#
#   tests/with_postgres.sh .venv/bin/python -m pytest -n 2 tests/test_api.py
#
# Debian's postgresql package (`make test` installs it when missing); the newest version
# under /usr/lib/postgresql is used, or PG_BIN. initdb refuses to run as root: as root the
# server runs as the postgres user (runuser), otherwise as the caller. Settings are for a
# test server only: no fsync, nothing survives a crash. Its time zone is Vietnam's, as a
# production server's may be: the app's connections must say UTC themselves (dictionary.db).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN)" >&2
  exit 1
fi
# pytest-xdist workers each keep a few template databases and apps with pools of their own.
PG_MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-400}

started=$(date +%s.%N)
dir=$(mktemp -d "${TMPDIR:-/tmp}/dictionary-pg.XXXXXX")
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  chmod 755 "$dir"          # mktemp makes it 700; the postgres user needs to enter it
  chown postgres: "$dir"
  as_server=(runuser -u postgres --)
fi

stop() {
  status=$?
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_server[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "${as_server[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  exit 1
fi
if ! "${as_server[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start -o \
    "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_connections=$PG_MAX_CONNECTIONS \
     -c timezone=Asia/Ho_Chi_Minh" >/dev/null; then
  cat "$dir/server.log" >&2
  exit 1
fi
awk -v v="$("$PG_BIN/postgres" -V)" -v a="$started" -v b="$(date +%s.%N)" -v d="$dir" \
  'BEGIN { printf "%s ready in %.2f s (socket in %s)\n", v, b - a, d }'

export TEST_DATABASE_URL="postgresql+psycopg://postgres@/postgres?host=$dir"
"$@"
