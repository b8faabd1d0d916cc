#!/usr/bin/env bash
# Start a throwaway single-host Ceph RGW (S3) on 127.0.0.1 for tests:
# 1 mon + 1 osd (memstore, in RAM) + radosgw, no systemd, cephx off.
# Everything (conf, keyring, logs, pids, admin sockets, data) lives in DIR.
#
# Usage:  scripts/rgw-up.sh DIR        # prints the endpoint on stdout
#         . DIR/env                    # FC_RGW_ENDPOINT/_ACCESS_KEY/_SECRET_KEY/_PORT/_DIR
#         scripts/rgw-down.sh DIR      # stop and delete
# Set FC_RGW_ACCESS_KEY / FC_RGW_SECRET_KEY to choose the S3 credentials, and
# FC_RGW_MEMSTORE_BYTES for the in-memory OSD size (default 1 GiB).
# Needs: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T0=$EPOCHREALTIME
S3_UID=fc-test
ATTEMPTS=3

log() { echo "[rgw] $*" >&2; }
die() {
    log "error: $*"
    exit 1
}
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2fs", b - a }'; }

[[ $# -eq 1 && -n $1 ]] || {
    echo "usage: $0 DIR" >&2
    exit 2
}
for tool in ceph ceph-mon ceph-osd ceph-authtool monmaptool radosgw radosgw-admin uuidgen curl timeout od; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl)"
done

mkdir -p "$1"
# Physical path: rgw-down.sh finds our processes by the exact "$DIR/ceph.conf" in their argv.
DIR=$(cd "$1" && pwd -P)
CONF=$DIR/ceph.conf

# od reads a fixed byte count, so no SIGPIPE trouble under pipefail (unlike tr </dev/urandom | head).
rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
ACCESS_KEY=${FC_RGW_ACCESS_KEY:-$(rand_hex 10 | tr a-f A-F)}
SECRET_KEY=${FC_RGW_SECRET_KEY:-$(rand_hex 20)}

# Never let the secret reach the terminal or CI logs, even via a daemon log tail.
redact() {
    local line
    while IFS= read -r line || [[ -n $line ]]; do
        printf '%s\n' "${line//"$SECRET_KEY"/<secret>}"
    done
}

dump_logs() {
    local f
    for f in "$DIR"/log/*; do
        [[ -s $f ]] || continue
        log "---- tail of $f"
        tail -n 20 "$f" | redact >&2
    done
}

on_exit() {
    local rc=$?
    trap - EXIT
    if ((rc != 0)); then
        log "start failed after $(elapsed)"
        dump_logs
        "$HERE/rgw-down.sh" "$DIR"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Daemon died, or said it could not bind its port?
check_alive() {
    local name=$1 pid=$2
    if grep -qs 'Address already in use' "$DIR"/log/*; then
        log "a port was taken (race with another process)"
        return 1
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        local st=0
        wait "$pid" 2>/dev/null || st=$? # our child: collect its status
        log "$name (pid $pid) exited with status $st"
        # radosgw exits with status EADDRINUSE (98), sometimes before its log
        # thread wrote the reason; record it where the retry logic looks.
        if ((st == 98)); then
            echo "$name exited with status 98: Address already in use" >>"$DIR/log/$name.exit"
        fi
        return 1
    fi
}

# Bounded ceph CLI: --connect-timeout alone does not cover a mon that accepts but never answers.
ceph_() { timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"; }

write_conf() {
    local fsid=$1 asok=$DIR/run/\$name.asok
    # sun_path holds 107 bytes; a deep CI workspace can exceed that and the
    # daemons would complain. Admin sockets are only for debugging: drop them.
    if ((${#DIR} + 25 > 107)); then asok=; fi
    cat >"$CONF" <<CONF
[global]
fsid = $fsid
# v1 only: msgr2 on a non-default port needs extra addrvec plumbing.
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
# Without this the OSD binds its cluster and heartbeat ports on 0.0.0.0.
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
run dir = $DIR/run
admin socket = $asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
keyring = $DIR/keyring
# One OSD: let pools be size 1 and keep health quiet about it.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# A nearly full /tmp must not stop the mon.
mon data avail warn = 1
mon data avail crit = 0
# Default is 1 s per paxos round; rgw creates ~6 pools at startup.
paxos propose interval = 0.05
paxos min wait = 0.01
osd heartbeat grace = 60
osd op num shards = 1
osd op num threads per shard = 2

[mon.a]
mon data = $DIR/data/mon.a

[osd.0]
osd data = $DIR/data/osd.0
osd objectstore = memstore
memstore device bytes = ${FC_RGW_MEMSTORE_BYTES:-1073741824}
# With auth none these startup mon commands race the boot ("wrong fsid") and
# the OSD never comes up; rgw-up.sh does the crush placement itself instead.
osd crush update on start = false
osd class update on start = false

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/data/rgw
# Lifecycle workers sleep 5 s without checking for shutdown, which makes a
# TERM take 3-9 s; tests do not need lifecycle expiry.
rgw enable lc threads = false
CONF
}

# One start attempt. Runs in a subshell with its own set -e (see caller);
# on any failure the caller stops whatever it left running.
start_cluster() {
    local fsid osd_uuid id mon_pid osd_pid rgw_pid body i

    mkdir -p "$DIR"/log "$DIR"/run "$DIR"/data/{mon.a,osd.0,rgw}
    fsid=$(uuidgen)
    write_conf "$fsid"

    ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool "$DIR/keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
    # --addv with an explicit v1 address: plain --add assumes the default
    # ports and produces a monmap that does not match "mon host".
    monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$DIR/monmap" >/dev/null
    ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" --keyring "$DIR/keyring" \
        >"$DIR/log/mon.mkfs.log" 2>&1

    # stdin/stdout detached: a caller doing $(rgw-up.sh) must not wait for the daemons.
    ceph-mon -c "$CONF" -i a -f </dev/null >"$DIR/log/mon.a.out" 2>&1 &
    mon_pid=$!
    log "mon starting on 127.0.0.1:$MON_PORT"
    # Wait for the log line instead of polling with the ceph CLI: cheaper, and
    # a mon that cannot bind retries silently for 15 s instead of exiting.
    for ((i = 0; ; i++)); do
        check_alive mon "$mon_pid"
        grep -qs 'is new leader' "$DIR/log/mon.a.log" && break
        ((i < 300)) || die "mon did not form a quorum in 15 s"
        sleep 0.05
    done

    osd_uuid=$(uuidgen)
    id=$(ceph_ osd new "$osd_uuid" 2>>"$DIR/log/cli.log")
    [[ $id == 0 ]] || die "expected osd id 0, got '$id'"
    # Must happen before the OSD boots (we disabled its own crush update).
    ceph_ osd crush add osd.0 1.0 root=default host=localhost >>"$DIR/log/cli.log" 2>&1
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$DIR/log/osd.mkfs.log" 2>&1
    ceph-osd -c "$CONF" -i 0 -f </dev/null >"$DIR/log/osd.0.out" 2>&1 &
    osd_pid=$!
    log "osd starting (memstore)"

    # No need to wait for the OSD: radosgw blocks on its pools until PGs go active.
    radosgw -c "$CONF" -n client.rgw.a -f </dev/null >"$DIR/log/rgw.out" 2>&1 &
    rgw_pid=$!
    # mon and osd write their own pid file ("pid file" above); radosgw -f does not.
    echo "$rgw_pid" >"$DIR/run/client.rgw.a.pid"
    log "radosgw starting on 127.0.0.1:$RGW_PORT"
    for ((i = 0; ; i++)); do
        check_alive mon "$mon_pid"
        check_alive osd "$osd_pid"
        check_alive radosgw "$rgw_pid"
        # Check the body: another server that grabbed the port must not count.
        body=$(curl -s --max-time 2 "http://127.0.0.1:$RGW_PORT/" 2>/dev/null) || body=
        [[ $body == *ListAllMyBucketsResult* ]] && break
        ((i < 600)) || die "radosgw did not answer HTTP in 60 s"
        sleep 0.1
    done

    # Output holds the secret: discard it, keep only stderr for diagnosis.
    timeout 60 radosgw-admin -c "$CONF" user create --uid "$S3_UID" --display-name "$S3_UID" \
        --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" >/dev/null 2>>"$DIR/log/user-create.log" ||
        die "radosgw-admin user create failed"
}

# Signed ListBuckets proves the user is visible to the running radosgw.
# Credentials go through stdin (-K -), not argv, so ps cannot show them.
check_s3_user() {
    local q code i
    local EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    # Not "curl --help | grep -q": grep exiting early would SIGPIPE curl under pipefail.
    [[ $(curl --help all 2>/dev/null) == *--aws-sigv4* ]] || return 0 # curl < 7.75
    q=$ACCESS_KEY:$SECRET_KEY
    q=${q//\\/\\\\}
    q=${q//\"/\\\"}
    for ((i = 0; i < 20; i++)); do
        # curl does not send x-amz-content-sha256 itself, RGW requires it.
        code=$(printf 'user = "%s"\n' "$q" | curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
            --aws-sigv4 'aws:amz:us-east-1:s3' -H "x-amz-content-sha256: $EMPTY_SHA256" \
            -K - "http://127.0.0.1:$RGW_PORT/") || code=000
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    die "signed S3 request as $S3_UID failed (HTTP $code)"
}

# A leftover from an earlier run in the same DIR would hold ports and data.
if [[ -e $CONF ]]; then
    log "cleaning up a previous instance in $DIR"
    "$HERE/rgw-down.sh" "$DIR"
fi

for ((attempt = 1; ; attempt++)); do
    MON_PORT=$("$HERE/free-port.sh")
    RGW_PORT=$("$HERE/free-port.sh")
    while [[ $RGW_PORT == "$MON_PORT" ]]; do RGW_PORT=$("$HERE/free-port.sh"); done

    # Under "if" or "||" bash ignores set -e inside functions, so run the
    # attempt in a subshell with set -e switched back on and take its status.
    set +e
    (
        set -e
        start_cluster
    )
    rc=$?
    set -e
    ((rc == 0)) && break

    # Only a lost port race is worth another try; anything else is fatal.
    if ((attempt < ATTEMPTS)) && grep -qs 'Address already in use' "$DIR"/log/*; then
        log "attempt $attempt lost a port race, retrying with new ports"
        "$HERE/rgw-down.sh" "$DIR"
        continue
    fi
    exit "$rc"
done
check_s3_user

ENDPOINT=http://127.0.0.1:$RGW_PORT
# The env file holds the secret: owner-only, and written atomically.
(
    umask 077
    {
        printf 'export FC_RGW_ENDPOINT=%q\n' "$ENDPOINT"
        printf 'export FC_RGW_ACCESS_KEY=%q\n' "$ACCESS_KEY"
        printf 'export FC_RGW_SECRET_KEY=%q\n' "$SECRET_KEY"
        printf 'export FC_RGW_PORT=%q\n' "$RGW_PORT"
        printf 'export FC_RGW_DIR=%q\n' "$DIR"
    } >"$DIR/env.tmp"
)
mv "$DIR/env.tmp" "$DIR/env"

log "up in $(elapsed): $ENDPOINT (user $S3_UID, credentials in $DIR/env)"
echo "$ENDPOINT"
