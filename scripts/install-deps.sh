#!/usr/bin/env bash
# Installs what building and testing need on Debian 12, as root. Idempotent:
# apt-get runs only when a package is missing.
#   scripts/install-deps.sh build   compiler, libraries
#   scripts/install-deps.sh demo    + nginx with lua-nginx-module (the demo's gateway nodes)
#   scripts/install-deps.sh demo-rgw  + Ceph RGW (the demo on a real S3 server)
#   scripts/install-deps.sh bench     demo's + wrk (bench/p99_bench.sh); bench-rgw + Ceph RGW
#   scripts/install-deps.sh test    + GoogleTest, Ceph RGW, awscli, Node.js and the npm test deps,
#                                   clang (libFuzzer), faketime, valgrind
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-test}
build_pkgs=(cmake g++ make pkg-config libcurl4-openssl-dev libssl-dev rapidjson-dev libtinyxml2-dev liblmdb-dev)
test_pkgs=(libgtest-dev libgmock-dev libbenchmark-dev
  radosgw ceph-mon ceph-osd uuid-runtime curl iproute2 time
  nodejs npm
  luajit2 libluajit2-5.1-dev lua-cjson lua-busted luarocks
  nginx libnginx-mod-http-lua
  clang libclang-rt-14-dev faketime valgrind openssl)
# clang + libclang-rt: the libFuzzer targets (fuzz/); faketime: the clock-skew
# fault test; valgrind: the leak soak's second opinion.
# libnginx-mod-http-lua wants libluajit2-5.1-2 (OpenResty's LuaJIT), which
# conflicts with Debian's plain luajit: luajit2 is the one to have.
demo_pkgs=(nginx libnginx-mod-http-lua lua-cjson luajit2 curl)
rgw_pkgs=(radosgw ceph-mon ceph-osd uuid-runtime iproute2)

want=("${build_pkgs[@]}")
[ "$what" = test ] && want+=("${test_pkgs[@]}")
case $what in
  demo) want+=("${demo_pkgs[@]}") ;;
  demo-rgw) want+=("${demo_pkgs[@]}" "${rgw_pkgs[@]}") ;;
  bench) want+=("${demo_pkgs[@]}" wrk) ;;
  bench-rgw) want+=("${demo_pkgs[@]}" wrk "${rgw_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  # node and npm may come from outside Debian's packages (an image's own build).
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# awscli is the S3 client operators use: the interop peer. Any install will do.
if [ "$what" = test ] && ! command -v aws >/dev/null; then missing+=(awscli); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps Ceph to the daemons we start ourselves.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$what" = test ]; then
  for dir in tests/differential tests/gcs_server; do
    if [ ! -d "$dir/node_modules" ]; then
      echo "[deps] npm ci in $dir" >&2
      (cd "$dir" && npm ci --no-audit --no-fund --silent)
    fi
  done
fi
