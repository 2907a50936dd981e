#!/bin/sh
echo "DISK CRITICAL - free space: / 2%"
exit 2
