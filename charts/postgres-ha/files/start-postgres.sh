#!/bin/sh
# The postgres container's command: make the data directory private again,
# then become Patroni. A kubelet that applies the pod's fsGroup to the data
# volume (CSI block volumes: EBS, PD, Ceph, Longhorn) makes every directory
# group-writable and setgid (2770) when it changes the ownership; PostgreSQL
# then refuses to start ("data directory ... has invalid permissions"), and
# Patroni does not fix it. Spilo's own entrypoint would; the chart runs
# Patroni directly, so it is done here.
#   usage: start-postgres.sh PATRONI_CONFIG
#   PATRONI_POSTGRESQL_DATA_DIR  the data directory (absent before the first initdb)
set -eu

config=${1:?usage: start-postgres.sh PATRONI_CONFIG}
data=${PATRONI_POSTGRESQL_DATA_DIR:?PATRONI_POSTGRESQL_DATA_DIR: the data directory}
if [ -d "$data" ]; then
	chmod 0700 "$data"
fi
exec patroni "$config"
