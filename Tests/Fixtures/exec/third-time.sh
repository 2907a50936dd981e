#!/bin/sh
# Fails until it has been run three times (counted in the file given), then passes.
echo x >> "$1"
n=$(wc -l < "$1")
if [ "$n" -ge 3 ]; then echo "up after $n tries"; exit 0; fi
echo "down ($n)"
exit 2
