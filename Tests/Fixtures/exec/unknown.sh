#!/bin/sh
echo "UNKNOWN - cannot stat /"
exit 3
