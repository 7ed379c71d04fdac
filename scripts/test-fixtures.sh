#!/usr/bin/env bash
# Prepares what the test suite needs beyond the repository (nothing yet beyond the system libraries).
set -euo pipefail
exit 0
