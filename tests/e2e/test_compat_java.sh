#!/bin/bash
# Compatibility matrix row: Java com.sun.net.httpserver (OpenJDK 17),
# compiled in the test with javac. Not in .ci/packages.txt: the JDK is
# big (openjdk-17-jdk-headless and -jre-headless: ~116 MB to download,
# ~266 MB installed); the row runs where a JDK is installed, and skips
# (loudly) elsewhere.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd java javac
mkdir -p "$TEST_TMP/java"
javac -d "$TEST_TMP/java" "$COMPAT/JavaServer.java" ||
    fail "javac JavaServer.java failed"
compat_row java "$(free_port)" -- --interpreter none "$(command -v java)" \
    --listen-timeout 20000 -- -Xshare:auto -XX:TieredStopAtLevel=1 \
    -cp "$TEST_TMP/java" JavaServer
