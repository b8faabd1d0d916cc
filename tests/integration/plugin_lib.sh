# Helpers shared by the plugin's integration scripts (source after lib.sh and
# tests/kong_harness/node.sh, with ROOT set).

# config N [extra top-level JSON]: a declarative configuration numbered N.
config() {
  printf '{"_format_version":"3.0","services":[{"name":"svc-%s","host":"upstream-%s.internal","port":80}],"routes":[{"name":"r-%s","paths":["/%s"]}]%s}\n' \
    "$1" "$1" "$1" "$1" "${2:-}"
}
deliver() { # deliver NODE FILE: the control plane sends a configuration
  local port_var="PORT_${1//-/_}"
  curl -fs -o /dev/null -X POST --data-binary "@$2" "http://127.0.0.1:${!port_var}/_harness/config"
}
running_config() { # running_config NODE OUT: what the node runs now
  local port_var="PORT_${1//-/_}"
  curl -fs -D "$2.headers" -o "$2" "http://127.0.0.1:${!port_var}/_harness/config"
}
serving() { # serving NODE: the node answers its proxy port
  local port_var="PORT_${1//-/_}"
  [ "$(curl -s "http://127.0.0.1:${!port_var}/")" = ok ]
}
count() { grep -c -- "$2" "$(node_log "$1")"; }
running_hash() { # running_hash NODE: Kong's hash of what the node runs
  local port_var="PORT_${1//-/_}"
  curl -fs -D - -o /dev/null "http://127.0.0.1:${!port_var}/_harness/config" | sed -n 's/^X-Config-Hash: *\([0-9a-zA-Z_]*\).*/\1/ip'
}
still_empty() { # still_empty NODE DESCRIPTION: nothing was applied (Kong's empty hash)
  check_eq "$(running_hash "$1")" "00000000000000000000000000000000" "$2"
}
# wait_log NODE PATTERN SECONDS [N]: until the node's log has N lines with PATTERN.
wait_log() {
  local end=$((SECONDS + $3)) want=${4:-1}
  while [ "$SECONDS" -le "$end" ]; do
    [ "$(count "$1" "$2")" -ge "$want" ] && return 0
    sleep 0.2
  done
  return 1
}
same_config() { luajit "$ROOT/tests/integration/config_same.lua" "$1" "$2"; }
keep_logs() { cat "$(node_log "$1")" >>"$OUTPUT_LOG"; }
