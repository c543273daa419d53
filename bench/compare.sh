#!/usr/bin/env bash
# Base revision vs working tree on the ingest cases, alternating fresh processes; prints ratios.
# Usage: bash bench/compare.sh [REF=HEAD~1] [--quick] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx tsx bench/compare.ts "$@"
