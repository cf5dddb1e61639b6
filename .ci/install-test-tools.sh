#!/usr/bin/env bash
# Installs the independent checkers that the Go tests run: Debian's Chromium
# for the chart tests, and every npm project under tools/ (DuckDB reads the
# Parquet files, playwright-core drives Chromium). Safe to run again: it
# installs only what is missing or out of date.
#
# Needs root, Debian's apt and the npm registry. Without these tools the tests
# that need them skip; with RANKLOOP_STRICT_TESTS=1 such a skip fails instead.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

# Debian packages, installed only when their command is missing.
packages=()
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
if ((${#packages[@]} > 0)); then
	echo "install-test-tools: apt-get install ${packages[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${packages[@]}"
fi

# npm projects: `npm ci` in every folder under tools/ (tools/ itself
# included) that has a package-lock.json. A stamp beside node_modules stores
# the hash of the lockfile that was installed, so a changed lockfile or a
# missing node_modules triggers a clean install.
while IFS= read -r -d '' lockfile; do
	project=$(dirname "$lockfile")
	stamp="$project/node_modules/.install-test-tools.sha256"
	want=$(sha256sum "$lockfile" | cut -d' ' -f1)
	if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		echo "install-test-tools: ${project#"$repo"/} is up to date"
		continue
	fi
	echo "install-test-tools: npm ci in ${project#"$repo"/}"
	(cd "$project" && npm ci --no-audit --no-fund)
	echo "$want" >"$stamp"
done < <(find "$repo/tools" -name node_modules -prune -o -name package-lock.json -type f -print0 | sort -z)

echo "install-test-tools: chromium: $(chromium --version 2>/dev/null || echo missing)"
echo "install-test-tools: node: $(node --version)"
