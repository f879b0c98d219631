#!/usr/bin/env bash
# relay-prefer-hang.sh — relay-prefer-standby.sh with the standby hung
# (every process SIGSTOPped) instead of killed: the relay on the
# prefer-standby string must leave it out of its next try and reach the
# primary (see there).
RELAY_PREFER_HANG=1
. "$DCOPS_ROOT/tests/faults/relay-prefer-standby.sh"
