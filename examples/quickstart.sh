#!/bin/bash
# Quick start on a fresh Debian 12 machine, as root: install what clm needs,
# build and install it, start the example app in cluster mode (one worker
# per logical core), show `clm list` and ask the app for a page.
#
#   bash examples/quickstart.sh
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"

if [ "$(id -u)" = 0 ]; then
	echo "== installing packages (.ci/packages.txt)"
	mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' \
	    .ci/packages.txt)
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
else
	echo "== not root: skipping the package install (see .ci/packages.txt)"
fi

echo "== building into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCLM_WERROR=OFF
cmake --build build -j"$(nproc)"

if [ "$(id -u)" = 0 ]; then
	echo "== installing (cmake --install build)"
	cmake --install build
	CLM=clm
else
	CLM=$src/build/clm
fi
hash -r

echo "== clm start examples/hello/index.js -i 0 --name hello"
"$CLM" delete hello >/dev/null 2>&1 || true	# when run a second time
"$CLM" start examples/hello/index.js -i 0 --name hello

echo "== clm list"
"$CLM" list

echo "== GET http://127.0.0.1:3000/ (a few times)"
python3 - <<'PY'
import time, urllib.request
deadline = time.monotonic() + 10
answers = 0
while answers < 4 and time.monotonic() < deadline:
    try:
        with urllib.request.urlopen("http://127.0.0.1:3000/", timeout=2) as r:
            print("  " + r.read().decode().strip())
            answers += 1
    except OSError as e:
        time.sleep(0.2)
if not answers:
    raise SystemExit("hello did not answer on port 3000 (see clm list)")
PY

echo
echo "clm is running hello. Try: clm list, clm stop hello, clm delete hello, clm kill"
