#!/usr/bin/env bash
# GraphiQL's browser assets, embedded in the binary so the page works with no external request.
#
#   scripts/update-graphiql.sh                    re-copy assets/ from the pinned releases
#   scripts/update-graphiql.sh graphiql@4.1.3 ... pin new versions (npm package specs), then copy
#   scripts/update-graphiql.sh --check            fail if assets/ differs from the pinned releases
#
# npm ci installs exactly package-lock.json and checks every tarball against its integrity hash;
# update.mjs then copies the published files unchanged and records their SHA-384 in
# assets/manifest.json. Commit internal/httpapi/graphiql/package.json, package-lock.json and assets/ together.
set -euo pipefail
cd "$(dirname "$0")/../internal/httpapi/graphiql"
npmq() { npm --no-audit --no-fund --ignore-scripts --loglevel=error "$@"; }

if [ "${1:-}" = "--check" ]; then
  npmq ci >/dev/null
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  node update.mjs "$tmp/assets"
  if ! diff -r assets "$tmp/assets"; then
    echo "internal/httpapi/graphiql/assets differs from the releases pinned in its package-lock.json;"
    echo "run scripts/update-graphiql.sh and commit the result"
    exit 1
  fi
  echo "internal/httpapi/graphiql/assets matches the pinned releases"
  exit 0
fi

if [ $# -gt 0 ]; then
  npmq install --save-exact "$@"
fi
npmq ci >/dev/null
node update.mjs assets
echo "assets/ updated:"; node -e 'for (const f of require("./assets/manifest.json").files) console.log(`  ${f.name}  ${f.package}@${f.version}  ${f.integrity}`)'
