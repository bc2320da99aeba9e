#!/usr/bin/env bash
# A throwaway single-node SLURM cluster on this machine, to try profiles/slurm and to test it
# (tests/cluster). One controller (slurmctld), one compute node (slurmd) with this machine's CPUs
# and memory, munge for authentication; no accounting database.
#
#   scripts/local-slurm.sh install   apt-get install munge, slurmctld, slurmd, slurm-client (root)
#   scripts/local-slurm.sh start     write the configuration, start munged/slurmctld/slurmd, check
#   scripts/local-slurm.sh check     sinfo, then a one-task srun
#   scripts/local-slurm.sh status    which daemons run (exit 0 only if all three do)
#   scripts/local-slurm.sh stop      cancel its jobs, stop the daemons this script started and any
#                                    process a job left behind
#
# Every command is idempotent: `start` on a running cluster only checks it, `stop` on a stopped
# one does nothing. Starting needs root (slurmd runs jobs as their submitting user).
#
# Settings (environment):
#   LOCAL_SLURM_DIR   where the configuration, state, logs and pid files live (/tmp/infoplane-slurm)
#   LOCAL_SLURM_NICE  nice value of slurmd and so of every job it runs (19: the machine stays usable)
#   LOCAL_SLURM_CTLD_PORT, LOCAL_SLURM_D_PORT   ports (6817, 6818; change them if those are taken)
# Completed jobs are recorded one line each in $LOCAL_SLURM_DIR/jobcomp.log (JobId, name, state):
# the scheduler's record that tests read, since there is no accounting (sacct) here.
set -euo pipefail

DIR=${LOCAL_SLURM_DIR:-/tmp/infoplane-slurm}
NICE=${LOCAL_SLURM_NICE:-19}
CTLD_PORT=${LOCAL_SLURM_CTLD_PORT:-6817}
D_PORT=${LOCAL_SLURM_D_PORT:-6818}
CONF=$DIR/slurm.conf
MUNGE_SOCKET=$DIR/munge/munge.socket
# Where every SLURM command looks. Jobs must find the configuration there: SLURM_CONF does not
# reach them (the plugin's job step removes SLURM_* variables before its inner srun).
SYSTEM_CONF=/etc/slurm/slurm.conf

say() { echo "local-slurm: $*"; }
die() { echo "local-slurm: error: $*" >&2; exit 1; }

need_root() {
    [[ $(id -u) -eq 0 ]] || die "'$1' needs root (slurmd starts jobs as other users); run: sudo $0 $1"
}

missing_programs() {
    local program
    for program in munged munge unmunge slurmctld slurmd sinfo srun sbatch squeue scancel scontrol; do
        command -v "$program" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$program" >/dev/null 2>&1 \
            || echo "$program"
    done
}

install() {
    if [[ -z $(missing_programs) ]]; then
        say "munge and SLURM are installed ($(PATH=$PATH:/usr/sbin slurmctld -V))"
        return
    fi
    need_root install
    command -v apt-get >/dev/null || die "no apt-get here: install munge and SLURM (slurmctld, slurmd,
  client commands) with your system's package manager, then run '$0 start'"
    say "installing munge and SLURM with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq munge slurmctld slurmd slurm-client >/dev/null
    [[ -z $(missing_programs) ]] || die "still missing after apt-get: $(missing_programs | xargs)"
}

# A pid file names a live process of the expected program.
running() { # $1: pid file, $2: program name
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$2" ]]
}

write_config() {
    local cpus mem_mb node
    cpus=$(nproc --all)
    # Memory SLURM may hand to jobs: what the machine has, less 1 GB for the system and daemons.
    mem_mb=$(( $(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
    node=$(hostname -s)
    mkdir -p "$DIR"/{state,spool,log,munge}
    cat >"$CONF.new" <<EOF
# Written by scripts/local-slurm.sh: a single-node cluster for trying and testing the workflow.
ClusterName=infoplane-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$D_PORT
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# No cgroups: processes are tracked through /proc, tasks are not bound to cores.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job that names no memory gets 1 GB per CPU, not the whole node.
DefMemPerCPU=1024
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
# No accounting database: sacct has nothing; the plugin must ask squeue (profiles/slurm/README.md).
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.log
ReturnToService=2
# A killed job frees its CPUs quickly (seconds, not the default 30 s).
KillWait=5
# squeue shows a finished job this long: the plugin's status source without accounting
# (it needs >= 3 x its first-check delay, see profiles/slurm/config.yaml).
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.new" "$CONF"
    if [[ -e $SYSTEM_CONF || -L $SYSTEM_CONF ]] && [[ $(readlink "$SYSTEM_CONF" || true) != "$CONF" ]]; then
        die "$SYSTEM_CONF exists and is not this script's: this machine has a SLURM of its own;
  use that one, or move the file away to try the local cluster"
    fi
    mkdir -p "$(dirname "$SYSTEM_CONF")"
    ln -sfn "$CONF" "$SYSTEM_CONF"
    say "configuration $CONF: node $node, $cpus CPUs, $mem_mb MB, partition 'local'"
}

start_munge() {
    if running "$DIR/munged.pid" munged; then return; fi
    [[ -r /etc/munge/munge.key ]] || die "no /etc/munge/munge.key: create one with 'mungekey --create'
  (or 'dd if=/dev/urandom of=/etc/munge/munge.key bs=1k count=1'), owned by munge, mode 0400"
    chown munge: "$DIR/munge" 2>/dev/null || true
    # Its own socket in $DIR, so a system munged (if any) is left alone.
    runuser -u munge -- /usr/sbin/munged --socket="$MUNGE_SOCKET" --pid-file="$DIR/munge/munged.pid" \
        --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" \
        || die "munged did not start; see $DIR/munge/munged.log"
    cp "$DIR/munge/munged.pid" "$DIR/munged.pid"
    munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" >/dev/null \
        || die "munge does not round-trip a credential; see $DIR/munge/munged.log"
}

wait_for() { # $1: seconds, $2...: a command that succeeds when ready
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

node_idle() { sinfo -h -N -o %T | grep -qE '^(idle|mixed|allocated)'; }

start() {
    need_root start
    [[ -z $(missing_programs) ]] || die "missing: $(missing_programs | xargs); run '$0 install' first"
    export PATH=$PATH:/usr/sbin
    local ports="" port
    if ! running "$DIR/slurmctld.pid" slurmctld && ! running "$DIR/slurmd.pid" slurmd; then
        for port in "$CTLD_PORT" "$D_PORT"; do
            if command -v ss >/dev/null && ss -ltn "sport = :$port" | grep -q LISTEN; then
                ports="$ports $port"
            fi
        done
        [[ -z $ports ]] || die "port(s)$ports already in use (another SLURM?); stop it or set
  LOCAL_SLURM_CTLD_PORT / LOCAL_SLURM_D_PORT"
        write_config
    fi
    start_munge
    if ! running "$DIR/slurmctld.pid" slurmctld; then
        # -c: a fresh controller state each start (this cluster keeps no jobs across restarts).
        slurmctld -c -f "$CONF" || die "slurmctld did not start; see $DIR/log/slurmctld.log"
    fi
    wait_for 30 scontrol ping || die "slurmctld does not answer; see $DIR/log/slurmctld.log"
    if ! running "$DIR/slurmd.pid" slurmd; then
        # Jobs inherit slurmd's nice value.
        nice -n "$NICE" slurmd -f "$CONF" || die "slurmd did not start; see $DIR/log/slurmd.log"
    fi
    wait_for 60 node_idle || die "the node did not come up ($(sinfo -h -N -o '%T %E' 2>&1)); see
  $DIR/log/slurmd.log and $DIR/log/slurmctld.log"
    say "running (configuration $SYSTEM_CONF -> $CONF)"
    check
}

check() {
    [[ -r $SYSTEM_CONF ]] || die "no configuration at $CONF: run '$0 start'"
    sinfo -N -o '%N %P %T %c %m' || die "sinfo failed: is the cluster started? ('$0 start')"
    local out
    out=$(timeout 120 srun -N1 -n1 -t 1 --mem=100 hostname 2>&1) \
        || die "srun failed: $out (logs in $DIR/log)"
    say "srun ran on $out: the cluster works"
}

status() {
    local ok=0 name pid
    for name in munged slurmctld slurmd; do
        pid=$DIR/$name.pid
        if running "$pid" "$name"; then say "$name running (pid $(<"$pid"))"; else say "$name stopped"; ok=1; fi
    done
    return $ok
}

stop_one() { # $1: name; stops the process whose pid file this script's daemons wrote
    local pid file=$DIR/$1.pid
    running "$file" "$1" || { rm -f "$file"; return 0; }
    pid=$(<"$file")
    kill "$pid"
    wait_for 30 bash -c "! [[ -e /proc/$pid ]]" || { say "$1 (pid $pid) ignored SIGTERM; killing"; kill -9 "$pid"; }
    rm -f "$file"
    say "$1 stopped"
}

# Processes of this cluster's jobs that outlived them. proctrack/linuxproc follows a job through
# its process tree, so a process whose parent died (a killed batch shell) escapes scancel; the
# job environment (SLURM_CLUSTER_NAME) still names the cluster.
stop_stray_job_processes() {
    local environ pid
    for environ in /proc/[0-9]*/environ; do
        pid=${environ#/proc/}
        pid=${pid%/environ}
        [[ $pid != "$$" ]] || continue
        if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qx "SLURM_CLUSTER_NAME=infoplane-local"; then
            say "stopping a leftover job process (pid $pid: $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | cut -c1-60))"
            kill "$pid" 2>/dev/null || true
        fi
    done
}

stop() {
    if running "$DIR/slurmctld.pid" slurmctld; then
        squeue -h -o %i | xargs -r scancel  # jobs still queued or running on this cluster
    fi
    stop_one slurmd
    stop_one slurmctld
    stop_one munged
    stop_stray_job_processes
    if [[ -L $SYSTEM_CONF && $(readlink "$SYSTEM_CONF") == "$CONF" ]]; then rm -f "$SYSTEM_CONF"; fi
}

case ${1:-} in
    install) install ;;
    start) start ;;
    check) export PATH=$PATH:/usr/sbin; check ;;
    status) status ;;
    stop) stop ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
