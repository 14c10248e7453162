#!/bin/sh
# Installs everything tsunagu needs to build, run and test on Debian 12.
# Idempotent: packages already present are left alone; safe to run again.
set -eu

# Build: compiler, meson, and the libraries of DESIGN.md. Tests: python3
# (meson itself) counts results; valgrind for `meson test --setup valgrind`;
# clang + its runtime for the libFuzzer builds of the fuzz targets;
# chromium runs the browser tests (tests/e2e, driven by playwright-core);
# libwebsockets-test-server is the peer the chat benchmark (tests/bench/chat)
# measures tsunagud's CPU per frame against; the sqlite3 shell loads large
# event histories into a stopped server's database for the reports tests.
# SIP: sofia-sip (the plugin), SIPp (sip-tester) and baresip-core as real
# peers in the tests, Kamailio as the peer of the SIP benchmark; GStreamer
# for guidance and call media, sox as the normalization benchmark's peer.
# mimalloc: the allocator tsunagud links (meson option malloc, README.md).
# The SIP plugin's signalling is sofia-sip (nua on the GLib loop); SIPp
# (sip-tester) plays trunks and operators' phones in its tests.
PKGS="build-essential pkg-config meson ninja-build python3
 libglib2.0-dev libwebsockets-dev libwebsockets-evlib-glib
 liblua5.4-dev libsqlite3-dev libsodium-dev libjansson-dev
 valgrind clang libclang-rt-14-dev ca-certificates
 chromium libwebsockets-test-server sqlite3
 libsofia-sip-ua-glib-dev sip-tester baresip-core kamailio
 libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base
 gstreamer1.0-plugins-good gstreamer1.0-tools sox libssl-dev
 libmimalloc-dev"

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# Node.js runs only the black-box and browser tests; a machine that already
# has a node (nodesource) keeps it, otherwise Debian's is used.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
echo "install-deps: all dependencies present"
