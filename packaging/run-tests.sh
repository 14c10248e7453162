#!/bin/sh
# Runs every test: unit, rules, fuzz-corpus replays, black-box integration and
# browser tests on the normal build, then the unit, fuzz and integration suites
# again built with AddressSanitizer + UndefinedBehaviorSanitizer (the black-box
# tests then run a sanitized tsunagud and fail on any report it prints). Prints one closing line
# "N passed, N failed" counting every test case (TAP subtests included).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
build=${1:-$top/build}
asan=${TSUNAGU_ASAN_BUILD_DIR:-$top/build-asan}
status=0

if [ -f tests/package.json ]; then
	(cd tests && npm ci --no-audit --no-fund --loglevel=error) || status=1
fi

meson test -C "$build" --print-errorlogs --num-processes 2 || status=1

if [ "${TSUNAGU_SKIP_ASAN:-0}" != 1 ]; then
	if [ ! -f "$asan/build.ninja" ]; then
		meson setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debug >/dev/null || status=1
	else
		meson setup --reconfigure -Dintegration_tests=true "$asan" >/dev/null || status=1
	fi
	ninja -C "$asan" >/dev/null || status=1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$asan" --suite unit --suite fuzz --suite rules --suite integration \
		--print-errorlogs \
		--num-processes 2 || status=1
fi

# Count test cases from the TAP results meson recorded.
python3 - "$build" "$asan" <<'PY'
import json, os, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    log = os.path.join(d, 'meson-logs', 'testlog.json')
    if not os.path.exists(log):
        continue
    for line in open(log):
        t = json.loads(line)
        res = t.get('result')
        # A TAP test counts each of its test points; others count once.
        out = t.get('stdout') or ''
        lines = out.splitlines()
        skips = sum(1 for l in lines if l.startswith(('ok ', 'not ok ')) and '# SKIP' in l.upper())
        skipped += skips
        oks = sum(1 for l in lines if l.startswith('ok ') and '# SKIP' not in l.upper())
        nots = sum(1 for l in lines if l.startswith('not ok ') and '# SKIP' not in l.upper() and '# TODO' not in l.upper())
        if oks + nots and res in ('OK', 'FAIL', 'EXPECTEDFAIL', 'UNEXPECTEDPASS'):
            passed += oks
            failed += nots
            if res == 'FAIL' and nots == 0:
                failed += 1
        elif res in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif res == 'SKIP':
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped" if skipped else f"{passed} passed, {failed} failed")
PY
exit $status
