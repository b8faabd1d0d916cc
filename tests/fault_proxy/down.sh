#!/usr/bin/env bash
# Stops the proxy up.sh started in DIR (SIGKILL if it does not exit within 2 s,
# e.g. when it is wedged or stopped) and removes DIR.
DIR=$1
# A zombie waiting for its reaper counts as gone.
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }
if [ -f "$DIR/pid" ]; then
  pid=$(cat "$DIR/pid")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 20); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      kill -9 "$pid" 2>/dev/null
      for _ in $(seq 1 20); do
        alive "$pid" || break
        sleep 0.1
      done
    fi
  fi
fi
rm -rf "$DIR"
exit 0
