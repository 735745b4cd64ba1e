# The web app's toolchain for the test suites and the README's run command (sourced by scripts/test; developers
# can source it too). Node and npm come with the machine; the app's packages are installed from its lockfile
# (`npm ci`, exact versions); the browser tests drive Debian's Chromium (installed with apt when missing) through
# playwright-core. No browser is ever downloaded.

WEB_CHROMIUM="${RILL_CHROMIUM:-/usr/bin/chromium}"

web_as_root() {
    if [ "$(id -u)" = "0" ]; then
        "$@"
    else
        sudo "$@"
    fi
}

# Installs the app's packages when the lockfile changed since the last install.
web_install() {
    if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
        echo "installing the web app's packages (npm ci)" >&2
        (cd web && npm ci --no-audit --no-fund >&2)
    fi
}

# Type-checks and builds web/dist (embedded into the binary by crates/rill-web), printing the bundle's size.
web_build() {
    web_install && (cd web && npm run --silent build >&2)
}

web_unit_tests() {
    (cd web && npx vitest run >&2)
}

ensure_chromium() {
    if [ -x "$WEB_CHROMIUM" ]; then
        return 0
    fi
    echo "installing Debian's chromium for the browser tests" >&2
    web_as_root apt-get update -qq >&2 &&
        web_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
}

# Runs the browser tests against the binary at $1 (it serves web/dist through --web-dir).
web_browser_tests() {
    ensure_chromium && (cd web && RILL_BIN="$1" RILL_CHROMIUM="$WEB_CHROMIUM" node tests/browser/run.mjs >&2)
}
