# Sourced by ./dev and .ci/run: puts a Node.js that runs TypeScript directly (>= 22.18) and the pnpm named in
# package.json's "packageManager" on PATH. When the machine's own are missing or too old, both come from the
# npm registry (its "node" package carries the binary) into .tools/ in this clone; nothing else is touched.
# SHAREDSTATE_TOOLS moves that folder.

sharedstate_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHAREDSTATE_TOOLS="${SHAREDSTATE_TOOLS:-$sharedstate_root/.tools}"
sharedstate_pnpm_version=$(sed -n 's/.*"packageManager": "pnpm@\([0-9.]*\)".*/\1/p' "$sharedstate_root/package.json")

# True when `node` on PATH strips TypeScript types without a flag: 22.18+ on the 22 line, 23.6+ after it.
sharedstate_node_fits() {
  node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit(major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18) ? 0 : 1);
  ' 2>/dev/null
}

sharedstate_toolchain() {
  if [ -x "$SHAREDSTATE_TOOLS/node_modules/.bin/node" ]; then
    export PATH="$SHAREDSTATE_TOOLS/node_modules/.bin:$PATH"
  fi
  local wanted=()
  sharedstate_node_fits || wanted+=("node@24")
  [ "$(pnpm --version 2>/dev/null)" = "$sharedstate_pnpm_version" ] || wanted+=("pnpm@$sharedstate_pnpm_version")
  if [ ${#wanted[@]} -gt 0 ]; then
    command -v npm >/dev/null || {
      echo "sharedstate: npm is needed to fetch ${wanted[*]}; install Node.js (any version with npm) first." >&2
      return 1
    }
    echo "sharedstate: installing ${wanted[*]} from the npm registry into $SHAREDSTATE_TOOLS" >&2
    npm install --prefix "$SHAREDSTATE_TOOLS" --no-fund --no-audit --loglevel=error "${wanted[@]}" >&2 || {
      echo "sharedstate: could not install ${wanted[*]} (is the npm registry reachable?)" >&2
      return 1
    }
    export PATH="$SHAREDSTATE_TOOLS/node_modules/.bin:$PATH"
  fi
  sharedstate_node_fits || {
    echo "sharedstate: Node.js >= 22.18 is needed, found $(node --version 2>/dev/null || echo none)" >&2
    return 1
  }
  export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
}
