#!/bin/sh
# tsunagud runs the allocator its build links (meson option 'malloc'):
# `tsunagud --version` names the library whose malloc the process calls,
# found at run time (dladdr), so a linker that dropped the library or a
# build without its package fails here.
# Usage: check_malloc.sh TSUNAGUD EXPECTED
set -u
out=$("$1" --version) || { echo "not ok 1 - $1 --version failed"; exit 1; }
echo "1..1"
case "$out" in
*"(malloc: $2)"*) echo "ok 1 - $out" ;;
*) echo "not ok 1 - expected malloc $2, got: $out"; exit 1 ;;
esac
