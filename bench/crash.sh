#!/bin/sh
# The soak's crash loop: up for CRASH_AFTER seconds (default 1), then exit 3.
echo "crash.sh $$: up"
sleep "${CRASH_AFTER:-1}"
echo "crash.sh $$: exiting with 3" >&2
exit 3
