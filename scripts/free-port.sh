#!/usr/bin/env bash
# Print one TCP port on 127.0.0.1 that nothing uses right now.
#
# The port is only free at the time of the check; callers must cope with
# losing a race (rgw-up.sh retries its whole start for that reason).
# Needs only bash: uses ss (iproute2) when present, else /proc/net/tcp*,
# else a connect probe via bash's /dev/tcp, since a fresh Debian 12 container
# may have neither iproute2 nor python3.
set -euo pipefail

lo=20000
hi=60000

# Stay out of the kernel's ephemeral range where possible: outgoing
# connections could grab a port from there between our check and the bind.
if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null; then
    if ((eph_lo - lo >= 1000)); then
        hi=$((eph_lo - 1 < hi ? eph_lo - 1 : hi))
    elif ((hi - eph_hi >= 1000)); then
        lo=$((eph_hi + 1))
    fi
fi

# Ports in any TCP state (listening, TIME_WAIT, connected ...) count as used.
in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ]]
    elif [[ -r /proc/net/tcp ]]; then
        # Column 2 is "ADDR:PORT" with the port in upper-case hex.
        local hex f
        printf -v hex '%04X' "$port"
        for f in /proc/net/tcp /proc/net/tcp6; do
            [[ -r $f ]] || continue
            while read -r _ local_addr _; do
                [[ ${local_addr##*:} == "$hex" ]] && return 0
            done <"$f"
        done
        return 1
    else
        # Last resort: something answers a connect => used. Sees listeners only.
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

for ((try = 0; try < 200; try++)); do
    # $RANDOM is 15 bits; combine two for ranges wider than 32768.
    port=$((lo + ((RANDOM << 15 | RANDOM) % (hi - lo + 1))))
    if ! in_use "$port"; then
        echo "$port"
        exit 0
    fi
done
echo "free-port.sh: no free port found in $lo-$hi" >&2
exit 1
