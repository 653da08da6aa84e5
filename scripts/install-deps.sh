#!/usr/bin/env bash
# Installs everything pqmcp needs on Debian 12 (run as root). Idempotent: packages already
# present are not reinstalled, and npm packages are reinstalled only when the lock file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang libclang-rt-14-dev            # the sanitizer build and the libFuzzer harnesses
  libssl-dev zlib1g-dev               # OpenSSL 3.0 for classical algorithms and SHA-2
  libsodium-dev                       # Ed25519 (the classical half of composite signatures)
  libgtest-dev libbenchmark-dev nlohmann-json3-dev
  libsqlite3-dev                      # libpqhsm's token storage
  libcli11-dev libtomlplusplus-dev    # the pqmcp command line and its TOML config
  libboost1.81-dev                    # Boost.Asio/Beast: the Streamable HTTP gateway (pqmcp serve, connect --url)
  softhsm2 opensc python3-pykcs11 p11-kit   # outside PKCS#11 modules and clients for tests
  openssl curl chromium               # post-quantum TLS interop tests (headless Chromium)
  libpq-dev postgresql sqlite3        # audit log: PostgreSQL backend and its tests
  valgrind                            # constant-time tests (memcheck secret marking)
  python3                             # small checks in the test suite
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "pqmcp: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# @noble/post-quantum needs Node.js >= 20.19; Debian 12's own nodejs is 18. Bring a current
# Node.js from the npm registry's node package when the system one is too old.
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=19)?0:1)'; }
if ! node_ok; then
  echo "pqmcp: system Node.js $(node --version) is older than 20.19; installing node@22 from npm"
  npm install --silent --prefix /opt/pqmcp-node node@22
  ln -sf /opt/pqmcp-node/node_modules/node/bin/node /usr/local/bin/node
  hash -r
  node_ok
fi

# Test-only npm packages (independent implementations used as oracles), pinned by the lock file.
if [ -f package-lock.json ]; then
  stamp=node_modules/.pqmcp-lock.sha256
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    npm ci --silent --no-audit --no-fund
    echo "$want" > "$stamp"
  fi
fi
