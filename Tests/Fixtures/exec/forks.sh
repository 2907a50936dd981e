#!/bin/sh
# Leaves a child behind and never ends: a timeout must kill both.
sleep 1000 &
echo "child $!"
exec sleep 1000
