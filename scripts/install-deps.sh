#!/usr/bin/env bash
# Installs the system libraries SemiSeg links against, only when missing.
# Debian/Ubuntu: libopenblas-dev (cblas), libnifti-dev (NIfTI-1/2), libpng-dev, zlib1g-dev, pkg-config.
set -euo pipefail
pkgs=(libopenblas-dev libnifti-dev libpng-dev zlib1g-dev pkg-config)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
