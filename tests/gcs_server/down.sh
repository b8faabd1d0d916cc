#!/usr/bin/env bash
# Stops the server up.sh started in DIR and removes DIR.
DIR=$1
[ -f "$DIR/pid" ] && kill "$(cat "$DIR/pid")" 2>/dev/null
rm -rf "$DIR"
exit 0
