#!/bin/sh
# Open MPI's launcher agent (`--mca plm_rsh_agent`) for "hosts" that are network namespaces of
# this machine (Tests/RuntimeTests/TwoHostTests.swift, docs/running-jobs.md, "Across hosts").
# mpirun calls it as `AGENT HOST COMMAND…` where ssh would be `ssh HOST COMMAND…`; it runs the
# command in the namespace that owns HOST's address, with a host name of its own (a new UTS
# namespace), so that Open MPI sees two hosts: separate session folders, no shared memory
# between them, TCP over the veth pair between them.
#
# FRUGAL_NETNS_HOSTS lists "ADDRESS=NAMESPACE" pairs, space-separated.
host="$1"; shift
for pair in $FRUGAL_NETNS_HOSTS; do
    if [ "${pair%%=*}" = "$host" ]; then
        ns="${pair#*=}"
        exec ip netns exec "$ns" unshare --uts /bin/sh -c "hostname $ns; $*"
    fi
done
echo "netns-agent: no namespace for host $host (FRUGAL_NETNS_HOSTS='$FRUGAL_NETNS_HOSTS')" >&2
exit 1
