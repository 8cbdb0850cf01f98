#!/usr/bin/env bash
# A throw-away single-node Slurm cluster from Debian's packages (slurmctld,
# slurmd, slurm-client, munge; scripts/install-deps.sh installs them), for the
# tests and for trying the farm scripts on one box. No systemd: the script
# starts munged, slurmctld and slurmd itself, everything inside one folder.
#
#   scripts/slurm-local.sh up            prints the folder; export SLURM_CONF=<folder>/slurm.conf
#   scripts/slurm-local.sh down FOLDER   cancels jobs, stops the daemons, removes the folder
#
# Tuned for quick turnarounds (docs/farm-slurm-facts.md): a requeued job may
# start again after 6 s (cred_expire=5), the scheduler looks every second.
# proctrack/linuxproc and task/none: no cgroups (containers often lack them,
# and Slurm then reports jobs that never ran as COMPLETED). The daemons listen
# on two free ports on all interfaces, authenticated by munge with a fresh key.
# Every failure is one line on stderr and a non-zero exit.
set -euo pipefail

fail() { echo "slurm-local: $*" >&2; exit 1; }

# Becomes a daemon in its own session without the caller's descriptors above
# 2: a caller may wait until every holder of one of its descriptors has gone
# (Foundation's Process does, with the socket it watches a child through),
# and munged and the Slurm daemons keep what they inherit. Run it as a
# background job (or in a subshell): it replaces the shell it runs in.
detached() {
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done
  exec setsid "$@"
}

up() {
  for tool in munged mungekey slurmctld slurmd sinfo sbatch; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found; run scripts/install-deps.sh (slurmctld slurmd slurm-client munge)"
  done
  local w h p1 p2
  ok=
  w="$(mktemp -d "${TMPDIR:-/tmp}/slurm-local.XXXXXX")"
  # A failed bring-up leaves nothing running and no folder.
  trap "[ -n \"\${ok:-}\" ] || teardown \"$w\" >/dev/null 2>&1" EXIT
  chmod 755 "$w"   # munged needs every folder above its socket searchable
  mkdir -p "$w"/{munge,state,spool,log,run}
  mungekey -c -k "$w/munge/munge.key" >/dev/null 2>&1 || fail "mungekey could not make a key in $w/munge"
  ( detached -w munged --socket="$w/munge/munge.socket" --key-file="$w/munge/munge.key" --pid-file="$w/munge/munged.pid" \
         --log-file="$w/munge/munged.log" --seed-file="$w/munge/munged.seed" ) \
    || fail "munged did not start; see $w/munge/munged.log"
  read -r p1 p2 < <(/usr/bin/python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("", 0))
print(*[x.getsockname()[1] for x in s])')
  h="$(hostname -s)"
  cat >"$w/slurm.conf" <<CONF
ClusterName=empathy-local
SlurmctldHost=$h(127.0.0.1)
SlurmctldPort=$p1
SlurmdPort=$p2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$w/munge/munge.socket,cred_expire=5
StateSaveLocation=$w/state
SlurmdSpoolDir=$w/spool
SlurmctldPidFile=$w/run/slurmctld.pid
SlurmdPidFile=$w/run/slurmd.pid
SlurmctldLogFile=$w/log/slurmctld.log
SlurmdLogFile=$w/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
JobRequeue=1
SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1
NodeName=$h NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$h Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$w/slurm.conf"
  detached slurmctld -D -f "$SLURM_CONF" </dev/null >"$w/log/slurmctld.out" 2>&1 &
  detached slurmd -D -f "$SLURM_CONF" </dev/null >"$w/log/slurmd.out" 2>&1 &
  for _ in $(seq 150); do
    [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && { ok=1; echo "$w"; return 0; }
    sleep 0.2
  done
  local why
  why="$(grep -m1 -h -e 'error: Error binding' -e 'fatal' "$w"/log/*.log 2>/dev/null || true)"
  fail "the node did not come up within 30 s (ports $p1, $p2)${why:+: $why}; see the logs in $w/log"
}

down() {
  local w="${1:-}"
  [ -n "$w" ] && [ -f "$w/slurm.conf" ] || fail "usage: slurm-local.sh down FOLDER, the folder 'up' printed (it has a slurm.conf)"
  teardown "$w"
}

# Jobs cancelled, daemons stopped (killed after 5 s), the folder removed.
teardown() {
  local w="$1"
  export SLURM_CONF="$w/slurm.conf"
  [ -f "$SLURM_CONF" ] && scancel --partition=debug >/dev/null 2>&1 || true   # running jobs survive a shutdown otherwise
  [ -f "$SLURM_CONF" ] && for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  [ -f "$SLURM_CONF" ] && scontrol shutdown >/dev/null 2>&1 || true
  for pidfile in "$w/run/slurmctld.pid" "$w/run/slurmd.pid" "$w/munge/munged.pid"; do
    [ -f "$pidfile" ] || continue
    local pid; pid="$(cat "$pidfile" 2>/dev/null || true)"
    [ -n "$pid" ] || continue
    [ "$pidfile" = "$w/munge/munged.pid" ] && kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$w"
}

case "${1:-}" in
  up) up ;;
  down) down "${2:-}" ;;
  *) fail "usage: slurm-local.sh up | down FOLDER" ;;
esac
