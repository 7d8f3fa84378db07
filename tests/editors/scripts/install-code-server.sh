#!/usr/bin/env bash
# Install code-server 4.100.3 (VS Code 1.100.3, the last release that runs on
# Node 20) into a cache directory without any network access beyond the npm
# registry: the ripgrep postinstall would download from GitHub, so scripts are
# skipped and Debian's /usr/bin/rg is copied in instead.
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CACHE="${TORCHPEEK_EDITORS_CACHE:-$HOME/.cache/torchpeek-editors}"
PREFIX="$CACHE/code-server-$VERSION"
CS="$PREFIX/node_modules/code-server"
STAMP="$PREFIX/.installed"

if [[ -f "$STAMP" ]]; then
  echo "code-server $VERSION already installed in $PREFIX"
  exit 0
fi

command -v rg >/dev/null || { echo "ripgrep missing: apt-get install -y ripgrep" >&2; exit 1; }

mkdir -p "$PREFIX"
cd "$PREFIX"
# npm >= 11.19 skips dependency install scripts unless allowScripts names them;
# older npm ignores the field. argon2 is the one native module code-server needs built.
echo '{"name":"torchpeek-code-server","private":true,"allowScripts":{"argon2":true}}' > package.json

export npm_config_yes=true npm_config_fund=false npm_config_audit=false

echo "== npm install code-server@$VERSION --ignore-scripts"
npm install --no-save --ignore-scripts "code-server@$VERSION"

echo "== rebuild argon2"
npm rebuild argon2
test -n "$(find node_modules/argon2 -name argon2.node -print -quit)" || { echo "argon2 did not build" >&2; exit 1; }

echo "== lib/vscode production deps"
cd "$CS/lib/vscode"
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild
[[ -e node_modules.asar ]] || ln -s node_modules node_modules.asar

# What postinstall.sh would link (the terminal's `code` and the browser helper).
ln -sfn code-linux.sh bin/remote-cli/code-server
ln -sfn browser-linux.sh bin/helpers/browser.sh

echo "== built-in extensions deps"
if [[ -f extensions/package.json ]]; then
  (cd extensions && npm install --omit=dev --ignore-scripts)
fi

touch "$STAMP"
echo "code-server $VERSION installed in $PREFIX"
