#!/usr/bin/env bash
# The Debian package (SPEC §9): builds traded_<version>_amd64.deb from the build tree with CPack,
# then checks its file list (dpkg-deb -c), control data (dpkg-deb -f / -e), the unit files'
# contents (dpkg-deb -x into a temp dir), that the packaged binary validates the packaged config,
# and `systemd-analyze verify` on traded.service and an instance of traded@.service.
# usage: package_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
tmp=$(mktemp -d /tmp/traded-package-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack"; }
deb="$tmp/out/traded_${version}_amd64.deb"
[[ -f $deb ]] || { ls -l "$tmp/out"; fail "no $deb"; }

# --- file list -----------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
for f in ./usr/bin/traded ./etc/traded/traded.yaml ./usr/lib/systemd/system/traded.service \
         ./usr/lib/systemd/system/traded@.service ./usr/lib/sysusers.d/traded.conf \
         ./usr/share/doc/traded/operations.md; do
  grep -qx -- "$f" "$tmp/files" || { cat "$tmp/files"; fail "missing $f"; }
done
# Only the daemon: no simulator, tests, benchmarks or build-tree files.
if grep -E 'traded-sim|_tests|bench|include/|\.a$|CMake' "$tmp/files"; then fail "unexpected files"; fi
dpkg-deb -c "$deb" | grep ' ./usr/bin/traded$' | grep -q '^-rwxr-xr-x root/root' || fail "/usr/bin/traded mode/owner"

# --- control -------------------------------------------------------------------------------
[[ $(dpkg-deb -f "$deb" Package) == traded ]] || fail "Package"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version"
[[ $(dpkg-deb -f "$deb" Architecture) == amd64 ]] || fail "Architecture"
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "Depends has no libc6 (shlibdeps)"
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/traded/traded.yaml "$tmp/control/conffiles" || fail "traded.yaml is not a conffile"
for s in postinst prerm postrm; do
  [[ -x $tmp/control/$s ]] || fail "$s missing or not executable"
  sh -n "$tmp/control/$s" || fail "$s syntax"
done
grep -q 'systemd-sysusers' "$tmp/control/postinst" || fail "postinst does not create the user"

# --- contents ------------------------------------------------------------------------------
root="$tmp/root"
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/traded" --version | grep -qx "traded $version" || fail "--version"
"$root/usr/bin/traded" --check-config "$root/etc/traded/traded.yaml" >/dev/null || fail "packaged config invalid"
grep -q '^  data_dir: /var/lib/traded ' "$root/etc/traded/traded.yaml" || fail "packaged data_dir"
grep -qx 'u traded - "traded trading daemon" /var/lib/traded' "$root/usr/lib/sysusers.d/traded.conf" || fail "sysusers"

max_conn=$(awk '/max_connections:/ {print $2; exit}' "$root/etc/traded/traded.yaml")
for unit in traded.service traded@.service; do
  u="$root/usr/lib/systemd/system/$unit"
  for line in Type=notify NotifyAccess=main 'WatchdogSec=30' Restart=on-failure User=traded \
              'ExecReload=/bin/kill -HUP $MAINPID' NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
              PrivateTmp=yes PrivateDevices=yes 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
              SystemCallFilter=@system-service CapabilityBoundingSet= UMask=0077; do
    grep -qxF -- "$line" "$u" || fail "$unit: no '$line'"
  done
  nofile=$(sed -n 's/^LimitNOFILE=//p' "$u")
  (( nofile > max_conn )) || fail "$unit: LimitNOFILE=$nofile not above max_connections $max_conn"
done
u="$root/usr/lib/systemd/system/traded.service"
grep -qxF 'ExecStartPre=/usr/bin/traded --check-config /etc/traded/traded.yaml' "$u" || fail "ExecStartPre"
grep -qxF 'ExecStart=/usr/bin/traded --config /etc/traded/traded.yaml --data-dir %S/traded' "$u" || fail "ExecStart"
grep -qxF 'StateDirectory=traded' "$u" || fail "StateDirectory"
t="$root/usr/lib/systemd/system/traded@.service"
grep -qxF 'ExecStartPre=/usr/bin/traded --check-config /etc/traded/%i.yaml' "$t" || fail "instance ExecStartPre"
grep -qxF 'ExecStart=/usr/bin/traded --config /etc/traded/%i.yaml --data-dir %S/traded/%i' "$t" || fail "instance ExecStart"
grep -qxF 'StateDirectory=traded/%i' "$t" || fail "instance StateDirectory"

# --- systemd-analyze verify ----------------------------------------------------------------
# Runs without systemd as PID 1 (containers, CI). --root makes it find /usr/bin/traded in the
# extracted package rather than on this machine.
if ! command -v systemd-analyze >/dev/null; then fail "systemd-analyze not installed (scripts/test installs systemd)"; fi
units="$root/usr/lib/systemd/system"
ln -s traded@.service "$units/traded@acct.service"
# What the units refer to, from this machine: the targets they order against, /bin/kill.
cp -an /lib/systemd/system/. "$units/"
mkdir -p "$root/bin"
cp /bin/kill "$root/bin/kill"
for unit in traded.service traded@acct.service; do
  if ! SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --root="$root" "$units/$unit" >"$tmp/verify.log" 2>&1; then
    cat "$tmp/verify.log"; fail "systemd-analyze verify $unit"
  fi
  # verify exits 0 on some warnings: none are expected.
  if grep -v -e '^$' "$tmp/verify.log" | grep -q .; then cat "$tmp/verify.log"; fail "systemd-analyze verify $unit warned"; fi
done
echo "package ok: $(basename "$deb"), $(wc -l <"$tmp/files") entries"
