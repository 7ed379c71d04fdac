#!/usr/bin/env bash
# Installs the system packages SemiSeg needs, only when missing.
# Debian/Ubuntu: libopenblas-dev (cblas), libnifti-dev (NIfTI-1/2), libpng-dev, zlib1g-dev, pkg-config; and Slurm
# (slurm-wlm: slurmctld, slurmd, the client commands; munge) for `compare --slurm` and the one-node test cluster of
# scripts/slurm-local.sh (installed without recommends: no database or plugin development packages).
set -euo pipefail
pkgs=(libopenblas-dev libnifti-dev libpng-dev zlib1g-dev pkg-config)
slurm_pkgs=(slurm-wlm munge)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=() missing_slurm=()
for p in "${pkgs[@]}"; do installed "$p" || missing+=("$p"); done
for p in "${slurm_pkgs[@]}"; do installed "$p" || missing_slurm+=("$p"); done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_slurm[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]} ${missing_slurm[*]}" >&2
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ${#missing_slurm[@]} -gt 0 ]; then
  # The packages' maintainer scripts may try to start the system services (no /etc/slurm/slurm.conf: they stay down);
  # SemiSeg never uses them: scripts/slurm-local.sh runs its own daemons with their own configuration.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_slurm[@]}" >/dev/null
fi
