#!/bin/sh
# A Nagios plugin that is happy.
echo "DISK OK - free space: / 42% (inode=90%)"
exit 0
