#!/bin/sh
# The two README commands:
#   packaging/dev.sh run    install dependencies, build, start tsunagud
#   packaging/dev.sh test   install dependencies, build, run every test
# Both are idempotent; run them as root on Debian 12 (apt-get needs it).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
build=${TSUNAGU_BUILD_DIR:-$top/build}

setup() {
	packaging/install-deps.sh
	if [ -f "$build/build.ninja" ]; then
		meson setup --reconfigure "$build" >/dev/null
	else
		meson setup "$build"
	fi
	ninja -C "$build"
}

case "${1:-run}" in
run)
	setup
	shift || true
	exec "$build/core/tsunagud" "$@"
	;;
test)
	setup
	exec packaging/run-tests.sh "$build"
	;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac
