#!/bin/bash
# Compatibility matrix row: Perl HTTP::Daemon (Debian libhttp-daemon-perl).
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd perl
perl -MHTTP::Daemon -e1 2>/dev/null ||
    skip_row "Perl's HTTP::Daemon is not installed (libhttp-daemon-perl)"
compat_row perl "$(free_port)" -- --interpreter "$(command -v perl)" "$COMPAT/perl_daemon.pl"
