#!/usr/bin/env bash
# Stop the test Ceph RGW started by rgw-up.sh DIR and delete its data.
# Idempotent and always exits 0, so it is safe in traps and CI cleanup steps.
#
# Usage: scripts/rgw-down.sh DIR
set -uo pipefail # no -e: cleanup must keep going past individual failures

log() { echo "[rgw] $*" >&2; }

if [[ $# -ne 1 || -z $1 ]]; then
    echo "usage: $0 DIR" >&2
    exit 0
fi
[[ -d $1 ]] || exit 0
DIR=$(cd "$1" && pwd -P) || exit 0
CONF=$DIR/ceph.conf

# A process counts as ours when its argv contains "$DIR/ceph.conf": every
# daemon and CLI call of rgw-up.sh gets "-c $DIR/ceph.conf". This finds them
# even without pid files (crash mid-start) and never hits a recycled pid.
# Prints "pid name" per process, comm read from /proc (no procps needed).
ours() {
    local p arg comm
    for p in /proc/[0-9]*; do
        [[ ${p#/proc/} == "$$" ]] && continue
        while IFS= read -r -d '' arg; do
            if [[ $arg == "$CONF" ]]; then
                read -r comm 2>/dev/null <"$p/comm" || comm="?"
                echo "${p#/proc/} $comm"
                break
            fi
        done 2>/dev/null <"$p/cmdline" # stderr first: the process may be gone
    done
}

# Zombies still have a /proc entry; only running processes matter.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # the comm field may contain spaces; state follows ") "
    [[ ${stat%% *} != Z ]]
}

declare -a stopped=()

# TERM, wait up to $1 deciseconds, then KILL the pids that follow.
stop() {
    local t=0 pid
    (($# > 1)) || return 0
    local limit=$1
    shift
    stopped+=("$@")
    kill -TERM "$@" 2>/dev/null
    for pid in "$@"; do
        while alive "$pid" && ((t < limit)); do
            sleep 0.1
            t=$((t + 1))
        done
        if alive "$pid"; then
            log "pid $pid ignored TERM, sending KILL"
            kill -KILL "$pid" 2>/dev/null
        fi
    done
}

# rgw first (it talks to osd/mon while shutting down), then osd, then mon,
# then anything else still using the config (e.g. a hung ceph CLI call).
declare -a rgw=() osd=() mon=() other=()
while read -r pid name; do
    case $name in
        radosgw) rgw+=("$pid") ;;
        ceph-osd) osd+=("$pid") ;;
        ceph-mon) mon+=("$pid") ;;
        *) other+=("$pid") ;;
    esac
done < <(ours)

stop 100 "${rgw[@]}"
stop 100 "${osd[@]}"
stop 100 "${mon[@]}"
stop 100 "${other[@]}"

# Paranoia: KILL does not fail, but confirm before deleting the data dirs.
for ((i = 0; i < 50; i++)); do
    left=$(ours)
    [[ -z $left ]] && break
    # shellcheck disable=SC2046 # word splitting of "pid name" pairs wanted
    kill -KILL $(cut -d' ' -f1 <<<"$left") 2>/dev/null
    sleep 0.1
done
[[ -n ${left:-} ]] && log "processes still alive: $left"

# The daemons were reparented to init; give it a moment to reap them so a
# "pgrep ceph" right after this script does not show <defunct> entries.
any_exists() {
    local pid
    for pid in "$@"; do [[ -e /proc/$pid ]] && return 0; done
    return 1
}
for ((i = 0; i < 30; i++)); do
    any_exists "${stopped[@]}" || break
    sleep 0.1
done

# Remove only what rgw-up.sh creates, in case DIR holds something else too.
rm -rf "$DIR/ceph.conf" "$DIR/keyring" "$DIR/monmap" "$DIR/env" "$DIR/env.tmp" \
    "$DIR/log" "$DIR/run" "$DIR/data"
rmdir "$DIR" 2>/dev/null
exit 0
