#!/usr/bin/env bash
# `luarocks make --tree DIR` builds the native library with CMake and installs
# the library, the Lua modules and the CLI where Kong and operators find them.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TREE=$(mktemp -d)
trap 'rm -rf "$TREE" "$ROOT/build.luarocks"' EXIT

cd "$ROOT"
summary=$(sed -n 's/^ *summary = "\(.*\)",$/\1/p' kong-plugin-fallback-config-*.rockspec)
for storage in "S3" "S3-compatible" "Google Cloud Storage" "directory"; do
  check_contains "$summary" "$storage" "the rockspec's summary names $storage"
done
run luarocks --lua-version 5.1 make --tree "$TREE" kong-plugin-fallback-config-*.rockspec
check_rc 0 "luarocks make builds and installs the rock"
check_eq "$(ls "$TREE"/lib/lua/5.1/libfallback_config.so 2>/dev/null)" "$TREE/lib/lua/5.1/libfallback_config.so" \
  "the library lands on package.cpath"
check_eq "$(find "$TREE"/lib/lua/5.1 -maxdepth 1 -name fallback-config-lmdb-export -perm -u+x)" \
  "$TREE/lib/lua/5.1/fallback-config-lmdb-export" "the LMDB export helper lands beside the library, executable"
check_eq "$(ls "$TREE"/share/lua/5.1/kong/plugins/fallback-config/native.lua 2>/dev/null)" \
  "$TREE/share/lua/5.1/kong/plugins/fallback-config/native.lua" "the Lua modules land on package.path"
for module in handler schema exporter importer serializer settings export_schedule backoff cdefs config_reader \
    control_plane edition; do
  check_eq "$(ls "$TREE/share/lua/5.1/kong/plugins/fallback-config/$module.lua" 2>/dev/null)" \
    "$TREE/share/lua/5.1/kong/plugins/fallback-config/$module.lua" "the rock installs the plugin's $module.lua"
done

cd /tmp
run env LUA_PATH="$TREE/share/lua/5.1/?.lua;;" LUA_CPATH="$TREE/lib/lua/5.1/?.so;;" \
  luajit -e 'print(require("kong.plugins.fallback-config.native").version())'
check_rc 0 "LuaJIT loads the bindings from the rock tree"
check_eq "$OUT" "$(sed -nE 's/^version = "([0-9.]+)-[0-9]+"$/\1/p' "$ROOT"/kong-plugin-fallback-config-*.rockspec)" \
  "the library version matches the rockspec"
run "$TREE/bin/fallback-config" --version
check_rc 0 "the CLI installed by the rock runs (finds its library)"

finish
