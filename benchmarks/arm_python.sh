#!/usr/bin/env bash
# This project's Python environment built for 64-bit Arm (aarch64) and run on an x86-64 machine
# under QEMU's user-mode emulator: Debian's arm64 python3.11, PyPI's aarch64 wheels of the
# packages (and versions) of .venv, an emulated Arm Neoverse-N1 (the core of AWS Graviton 2).
#
#     bash benchmarks/arm_python.sh DIR      # then DIR/python runs like .venv/bin/python
#
# Needs root on Debian 12 (apt-get: the arm64 architecture, qemu-user, an aarch64 C compiler)
# and about 6 GB in DIR. What it works around, each a fact of running Arm Linux builds on an x86
# host rather than a choice:
# - PyPI's aarch64 torch is a CUDA build: it loads the CUDA libraries at import, so their aarch64
#   wheels come too; the registry lacks the aarch64 CUPTI (profiling) wheel at .venv's version,
#   so a stub library with its symbols stands in (torch calls it only to profile CUDA);
# - a pin with no aarch64 wheel at .venv's version (NCCL) takes the newest aarch64 one, and a
#   package with no wheel at all (antlr4, a dependency of DVC's config, not of the stages) is left out;
# - QEMU passes the host's /proc/cpuinfo and /sys through, where torch's CPU detection expects an
#   Arm CPU's: DIR/sysroot holds a Neoverse-N1's, which QEMU's -L prefix finds first.
set -euo pipefail
dest=$(realpath -m "${1:?usage: bash benchmarks/arm_python.sh DIR}")
root=$(cd "$(dirname "$0")/.." && pwd)
pip="$root/.venv/bin/pip"
[ -x "$pip" ] || { echo "error: $root/.venv is missing; run make .venv/.installed first" >&2; exit 1; }
mkdir -p "$dest/debs" "$dest/sysroot" "$dest/stub"

dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq qemu-user gcc-aarch64-linux-gnu >/dev/null
# the interpreter and the shared libraries it and the wheels link against
cd "$dest/debs"
for package in python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 libexpat1 zlib1g libssl3 libffi8 \
    libbz2-1.0 liblzma5 libsqlite3-0 libncursesw6 libtinfo6 libreadline8 libuuid1 libdb5.3 libgcc-s1 libstdc++6 \
    libcrypt1 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libcom-err2 libkrb5support0 libkeyutils1 \
    libgomp1 libgfortran5; do
  apt-get download -qq -o APT::Sandbox::User=root "$package:arm64"
done
for deb in *.deb; do dpkg -x "$deb" "$dest/sysroot"; done

# .venv's pins as aarch64 wheels; a pin without one is relaxed, then left out
"$pip" freeze --exclude-editable | grep -v -i -E '^(triton|pytest|ruff|iniconfig|pluggy)==' > "$dest/requirements.txt"
for attempt in $(seq 1 20); do
  if "$pip" install --quiet --disable-pip-version-check --no-deps --target "$dest/site" --only-binary=:all: \
      --python-version 3.11 --implementation cp $(printf -- '--platform manylinux_2_%s_aarch64 ' 36 35 34 31 28 27 26 24 17) \
      --platform manylinux2014_aarch64 --platform linux_aarch64 --platform any -r "$dest/requirements.txt" 2>"$dest/pip.log"; then
    break
  fi
  missing=$(grep -o 'No matching distribution found for [^ =;]*' "$dest/pip.log" | awk '{print $NF}')
  [ -n "$missing" ] || { cat "$dest/pip.log" >&2; exit 1; }
  if grep -q -i "^$missing==" "$dest/requirements.txt"; then
    sed -i "s/^$missing==.*/$missing/I" "$dest/requirements.txt"; echo "$missing: no aarch64 wheel at .venv's version, taking the newest"
  else
    sed -i "/^$missing\$/Id" "$dest/requirements.txt"; echo "$missing: no aarch64 wheel, left out"
  fi
done

symbols=$(readelf --dyn-syms -W "$dest/site/torch/lib/libtorch_cpu.so" | awk '$7 == "UND" && $8 ~ /@libcupti/ {sub(/@.*/, "", $8); print $8}' | sort -u)
for symbol in $symbols; do echo "int $symbol(void) { return 1; }"; done > "$dest/stub/cupti.c"  # 1: CUPTI_ERROR_INVALID_PARAMETER
echo 'libcupti.so.13 { global: *; };' > "$dest/stub/cupti.map"
aarch64-linux-gnu-gcc -shared -fPIC -o "$dest/stub/libcupti.so.13" "$dest/stub/cupti.c" -Wl,--version-script="$dest/stub/cupti.map" -Wl,-soname,libcupti.so.13

mkdir -p "$dest/sysroot/proc"
for cpu in $(seq 0 $(($(nproc) - 1))); do  # a Neoverse-N1 r3p1, as its Linux reports it
  printf 'processor\t: %d\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n' "$cpu"
  mkdir -p "$dest/sysroot/sys/devices/system/cpu/cpu$cpu/regs/identification"
  echo 0x00000000413fd0c1 > "$dest/sysroot/sys/devices/system/cpu/cpu$cpu/regs/identification/midr_el1"
done > "$dest/sysroot/proc/cpuinfo"

cat > "$dest/python" <<EOF
#!/bin/sh
# this project's Python on an emulated Arm Neoverse-N1 (made by benchmarks/arm_python.sh)
exec env LD_LIBRARY_PATH="$dest/stub" PYTHONPATH="\${PYTHONPATH:+\$PYTHONPATH:}$dest/site" \\
  qemu-aarch64 -L "$dest/sysroot" -cpu neoverse-n1 "$dest/sysroot/usr/bin/python3.11" "\$@"
EOF
chmod +x "$dest/python"
"$dest/python" -c "import platform, torch; print('ready:', platform.machine(), 'torch', torch.__version__)"
