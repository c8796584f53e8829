#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the daemon need,
# skipping the ones already installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev libabsl-dev
  libsqlite3-dev sqlite3 libssl-dev libyaml-cpp-dev libcli11-dev libphonenumber-dev
  libboost-dev libgtest-dev libgmock-dev libjemalloc-dev nlohmann-json3-dev libspdlog-dev
  libsystemd-dev python3 python3-prometheus-client
  clang libclang-rt-dev
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
