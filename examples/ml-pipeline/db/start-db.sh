#!/bin/sh
# Starts PostgreSQL on $PGDATA, making the cluster and the `ml` database on
# the first start (a new, empty volume). Trust authentication: the
# database is reachable only on the project's network, as an example's.
set -eu
bin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -n 1)")
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  "$bin/initdb" -D "$PGDATA" -U postgres --auth=trust >/dev/null
  echo "host all all all trust" >> "$PGDATA/pg_hba.conf"
  "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses= -c unix_socket_directories=/tmp" -w start >/dev/null
  "$bin/createdb" -h /tmp -U postgres ml
  "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  echo "start-db: made the cluster and the ml database in $PGDATA"
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
