#!/usr/bin/env bash
# Lints an OpenAPI document with @redocly/cli (version pinned in package-lock.json) and redocly.yaml's rules.
# test.sh passes the document the .NET tests served and wrote (OpenApiDocumentTests, $OBOL_OPENAPI_DOCUMENT).
# Usage: tests/openapi/run.sh path/to/openapi.json     Exit 0: no error and no warning.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
document="${1:?usage: tests/openapi/run.sh path/to/openapi.json}"
[ -f "$document" ] || { echo "openapi: $document does not exist (did OpenApiDocumentTests run?)" >&2; exit 2; }
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "openapi: $tool is required" >&2; exit 2; }
done
document="$(cd "$(dirname "$document")" && pwd)/$(basename "$document")"

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
# --max-problems: show them all; warnings fail too (recommended rules warn about what SDK generators trip on).
cd "$here" && NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  node_modules/.bin/redocly lint "$document" --config redocly.yaml --max-problems 500 --format stylish 2>&1 \
  | grep -v '[║╔╚]' | tee "$here/.lint.log"
grep -q "Your API description is valid" "$here/.lint.log" && ! grep -Eq "[0-9]+ warnings?" "$here/.lint.log"
