#!/usr/bin/env bash
# PSP wire fidelity: drives the standalone PSP simulator with the PSPs' official client libraries (npm `stripe`,
# `@adyen/api-library`, versions pinned in package-lock.json), configured as a merchant would configure them.
# Starts the simulator built by `dotnet test` (or `dotnet build src/Obol.PspSimulator`) on free loopback ports with
# HTTPS (a throwaway self-signed certificate naming the PSP hosts, trusted by node through NODE_EXTRA_CA_CERTS) and its
# CONNECT proxy, runs test/*.test.js with node's test runner, stops the simulator. Exit 0: passed.
# Usage: tests/psp-clients/run.sh [--configuration Debug|Release]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
configuration=Debug
if [ "${1:-}" = "--configuration" ]; then configuration="$2"; fi

for tool in node npm openssl dotnet; do
  command -v "$tool" >/dev/null 2>&1 || { echo "psp-clients: $tool is required" >&2; exit 2; }
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "psp-clients: node >= 20 is required (the stripe library's engines), found $(node --version)" >&2; exit 2; }

dll="$root/src/Obol.PspSimulator/bin/$configuration/net10.0/Obol.PspSimulator.dll"
if [ ! -f "$dll" ]; then
  dotnet build -c "$configuration" "$root/src/Obol.PspSimulator" >/dev/null
fi

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

work="$(mktemp -d)"
simulator=""
cleanup() {
  if [ -n "$simulator" ]; then kill "$simulator" 2>/dev/null || true; wait "$simulator" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The names the clients connect to: the simulator's own address, and the PSP hosts the proxy tunnels to it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=Obol PSP simulator (test)" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:api.stripe.com,DNS:checkout-test.adyen.com,DNS:*.adyenpayments.com" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=0 dotnet "$dll" \
  --urls "http://127.0.0.1:0;https://127.0.0.1:0" \
  --Kestrel:Certificates:Default:Path="$work/cert.pem" \
  --Kestrel:Certificates:Default:KeyPath="$work/key.pem" \
  --PspSimulator:ProxyUrl=http://127.0.0.1:0 \
  --PspSimulator:Stripe:ApiKeys:0=sk_test_psp_clients \
  --PspSimulator:Stripe:WebhookSecret=whsec_psp_clients \
  --PspSimulator:Adyen:ApiKeys:0=adyen_psp_clients \
  --PspSimulator:WebhookRetry:InitialDelay=00:00:00.200 \
  --Logging:LogLevel:Default=Warning \
  --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information \
  --Logging:LogLevel:Obol.PspSimulator.Hosting=Information \
  >"$work/simulator.log" 2>&1 &
simulator=$!

# Kestrel and the proxy log the ports they bound.
for _ in $(seq 1 300); do
  grep -q "Application started" "$work/simulator.log" && break
  kill -0 "$simulator" 2>/dev/null || break
  sleep 0.1
done
sim_http="$(grep -o 'Now listening on: http://[0-9.:]*' "$work/simulator.log" | head -1 | sed 's/.*: //')"
sim_https="$(grep -o 'Now listening on: https://[0-9.:]*' "$work/simulator.log" | head -1 | sed 's/.*: //')"
sim_proxy="$(grep -o 'CONNECT proxy listening on: http://[0-9.:]*' "$work/simulator.log" | head -1 | sed 's/.*://')"
if [ -z "$sim_http" ] || [ -z "$sim_https" ] || [ -z "$sim_proxy" ]; then
  echo "psp-clients: the simulator did not start:" >&2
  cat "$work/simulator.log" >&2
  exit 2
fi
echo "PSP simulator on $sim_http and $sim_https, CONNECT proxy on port $sim_proxy"

status=0
(cd "$here" && SIM_HTTP="$sim_http" SIM_HTTPS="$sim_https" SIM_PROXY_PORT="$sim_proxy" NODE_EXTRA_CA_CERTS="$work/cert.pem" \
  node --test --test-concurrency=1 --test-reporter=spec test/*.test.js) || status=$?
if [ "$status" != 0 ]; then
  echo "--- simulator log ---" >&2
  cat "$work/simulator.log" >&2
fi
exit $status
