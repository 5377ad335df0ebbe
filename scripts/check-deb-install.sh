#!/usr/bin/env bash
# Installs a simfleet .deb into a throw-away Debian root (debootstrap) and
# checks what the maintainer scripts do: the system user in dialout, file
# ownership and modes, the unit enabled; an upgrade keeps a changed config
# and the data; purge removes data, config and user.
#   scripts/check-deb-install.sh [PACKAGE.deb]   # default: builds one for this machine
# Needs root (chroot). Uses /tmp/simfleet-deb-root, created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

root=${SIMFLEET_DEB_ROOT:-/tmp/simfleet-deb-root}
deb=${1:-}
if [ -z "$deb" ]; then
    command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked
    deb=$(cargo deb --locked | tail -1)
fi
if [ ! -x "$root/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null 2>&1 || apt-get install -y debootstrap
    debootstrap --variant=minbase --include=adduser,systemd bookworm "$root" http://deb.debian.org/debian
fi

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

cp "$deb" "$root/tmp/simfleet.deb"
in_root dpkg --purge simfleet >/dev/null 2>&1 || true

echo "== install"
in_root dpkg -i /tmp/simfleet.deb
in_root id simfleet | grep -q '(dialout)' && ok "user simfleet in dialout" || fail "user simfleet missing or not in dialout"
# Owners by number: names would be looked up in this machine's passwd.
uid=$(in_root id -u simfleet); gid=$(in_root id -g simfleet)
[ "$(stat -c '%u:%g %a' "$root/var/lib/simfleet")" = "$uid:$gid 750" ] && ok "/var/lib/simfleet simfleet:simfleet 750" || fail "/var/lib/simfleet: $(stat -c '%u:%g %a' "$root/var/lib/simfleet")"
[ "$(stat -c '%u:%g %a' "$root/etc/simfleet/simfleet.toml")" = "0:$gid 640" ] && ok "config root:simfleet 640" || fail "config: $(stat -c '%u:%g %a' "$root/etc/simfleet/simfleet.toml")"
grep -qx /etc/simfleet/simfleet.toml "$root/var/lib/dpkg/info/simfleet.conffiles" && ok "config is a conffile" || fail "config is not a conffile"
[ -x "$root/usr/bin/simfleet" ] && ok "binary installed" || fail "no binary"
[ -f "$root/usr/lib/udev/rules.d/99-simfleet.rules" ] && ok "udev rules installed" || fail "no udev rules"
ls "$root"/etc/systemd/system/multi-user.target.wants/simfleet.service >/dev/null 2>&1 && ok "unit enabled" || fail "unit not enabled"
in_root /usr/bin/simfleet --version
# The config as installed is valid: the daemon's own check passes (it
# stops at opening modems/ports, not at the config).
in_root /usr/bin/simfleet pdu encode --to +79161234567 --text ok >/dev/null && ok "binary runs in the target root"

echo "== upgrade keeps config and data"
echo "# changed by the admin" >> "$root/etc/simfleet/simfleet.toml"
echo "data" > "$root/var/lib/simfleet/simfleet.db"
in_root dpkg -i --force-confold /tmp/simfleet.deb
grep -q "changed by the admin" "$root/etc/simfleet/simfleet.toml" && ok "changed config kept" || fail "config replaced"
grep -q data "$root/var/lib/simfleet/simfleet.db" && ok "data kept" || fail "data lost"

echo "== remove keeps, purge removes"
in_root dpkg --remove simfleet
[ -f "$root/var/lib/simfleet/simfleet.db" ] && ok "remove keeps data" || fail "remove deleted data"
in_root dpkg --purge simfleet
[ ! -e "$root/var/lib/simfleet" ] && ok "purge removed /var/lib/simfleet" || fail "data left after purge"
[ ! -e "$root/etc/simfleet" ] && ok "purge removed /etc/simfleet" || fail "config left after purge"
! in_root id simfleet >/dev/null 2>&1 && ok "purge removed the user" || fail "user left after purge"
echo "all checks passed for $deb"
