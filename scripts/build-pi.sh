#!/usr/bin/env bash
# Builds simfleet .deb packages for the Raspberry Pi with Debian's cross
# compilers, checks their content, and runs the binary and the codec tests
# under qemu-user:
#   aarch64-unknown-linux-gnu      Pi 3/4/5 with a 64-bit OS  -> arm64 .deb
#   armv7-unknown-linux-gnueabihf  Pi 2/3/Zero 2, 32-bit OS   -> armhf .deb
# Installs what it needs (apt, rustup targets, cargo-deb). Run from anywhere:
#   scripts/build-pi.sh            # both
#   scripts/build-pi.sh aarch64    # one
# Prints binary sizes and the idle RSS of `simfleet demo` under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(aarch64 armv7)

say() { printf '\n== %s\n' "$*"; }

need_apt=()
for pkg in gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user dpkg-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need_apt[@]}"
fi
command -v cargo-deb >/dev/null 2>&1 || { say "installing cargo-deb"; cargo install cargo-deb --locked; }

for t in "${targets[@]}"; do
    case "$t" in
        aarch64) triple=aarch64-unknown-linux-gnu; gnu=aarch64-linux-gnu; qemu=qemu-aarch64; arch=arm64 ;;
        armv7) triple=armv7-unknown-linux-gnueabihf; gnu=arm-linux-gnueabihf; qemu=qemu-arm; arch=armhf ;;
        *) echo "unknown target $t (aarch64 or armv7)" >&2; exit 2 ;;
    esac
    rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"
    up=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    export "CARGO_TARGET_${up}_LINKER=${gnu}-gcc"
    export "CARGO_TARGET_${up}_RUNNER=${qemu} -L /usr/${gnu}"
    export "CC_${triple//-/_}=${gnu}-gcc"
    export "AR_${triple//-/_}=${gnu}-ar"

    say "$triple: building the package"
    deb=$(cargo deb --target "$triple" --locked | tail -1)
    [ -f "$deb" ] || { echo "cargo deb did not say where the package is" >&2; exit 1; }

    say "$triple: package content ($deb)"
    dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
    dpkg-deb --contents "$deb" | awk '{print $1, $6}'
    for f in ./usr/bin/simfleet ./etc/simfleet/simfleet.toml ./usr/lib/udev/rules.d/99-simfleet.rules \
             'systemd/system/simfleet.service' ./usr/share/doc/simfleet/install.md; do
        dpkg-deb --contents "$deb" | awk '{print $6}' | grep -q -- "$f\$" || { echo "missing $f in $deb" >&2; exit 1; }
    done
    ctrl=$(mktemp -d)
    dpkg-deb --control "$deb" "$ctrl"
    grep -qx /etc/simfleet/simfleet.toml "$ctrl/conffiles" || { echo "simfleet.toml is not a conffile" >&2; exit 1; }
    grep -q 'adduser --system' "$ctrl/postinst" || { echo "postinst does not create the user" >&2; exit 1; }
    grep -q 'systemctl\|deb-systemd' "$ctrl/postinst" || { echo "postinst does not enable the unit" >&2; exit 1; }
    grep -q 'rm -rf /var/lib/simfleet' "$ctrl/postrm" || { echo "postrm does not purge data" >&2; exit 1; }
    rm -rf "$ctrl"
    file "target/$triple/release/simfleet" 2>/dev/null || true

    say "$triple: the binary under $qemu"
    "$qemu" -L "/usr/$gnu" "target/$triple/release/simfleet" --version
    "$qemu" -L "/usr/$gnu" "target/$triple/release/simfleet" pdu encode --to +79161234567 --text "Привет, Pi!"

    say "$triple: codec tests under $qemu"
    cargo test --target "$triple" --locked --lib sms::
    cargo test --target "$triple" --locked --test sms_vectors --test sms_properties --test fuzz_corpus

    say "$triple: idle RSS of \`simfleet demo\` under $qemu (qemu's own memory included)"
    log=$(mktemp)
    "$qemu" -L "/usr/$gnu" "target/$triple/release/simfleet" demo >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 120); do grep -q "All samples delivered" "$log" && break; sleep 1; done
    sleep 10
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    kill -INT "$pid"; wait "$pid" || true
    grep -q "All samples delivered" "$log" || { echo "demo did not deliver under qemu:"; cat "$log"; exit 1; }
    size=$(dpkg-deb --contents "$deb" | awk '$6 == "./usr/bin/simfleet" {print $3}')
    awk -v t="$triple" -v b="$size" -v d="$(stat -c %s "$deb")" -v r="$rss" -v h="$hwm" -v q="$qemu" 'BEGIN {
        printf "RESULT %s: packaged binary %.1f MB, .deb %.1f MB, demo idle RSS %.1f MB (peak %.1f MB) under %s\n",
            t, b / 1048576, d / 1048576, r / 1024, h / 1024, q }'
    rm -f "$log"
done
