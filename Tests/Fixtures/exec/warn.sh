#!/bin/sh
echo "DISK WARNING - free space: / 12%"
echo "second line" >&2
exit 1
