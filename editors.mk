# Editor side of torchpeek: the VS Code extension (client/) and the real-editor
# tests (tests/editors/). Included by the top-level Makefile; also usable alone:
#   make -f editors.mk test-editors
#
# Targets: client, vsix, test-client, test-editors (plus editors-setup,
# code-server, editors-apt, clean-editors).

# Inside the top-level Makefile, reuse its venv interpreter ($(PY)) and install stamp ($(STAMP)).
EDITORS_PYTHON ?= $(or $(PY),.venv/bin/python)
EDITORS_NPM ?= npm
EDITORS_CACHE ?= $(HOME)/.cache/torchpeek-editors
EDITORS_VERSION := $(shell node -p "require('./package.json').version" 2>/dev/null || echo 0.1.0)
EDITORS_VSIX := torchpeek-$(EDITORS_VERSION).vsix
EDITORS_APT := libkrb5-dev ripgrep chromium neovim emacs-nox elpa-eglot

.PHONY: client vsix test-client test-editors editors-setup code-server editors-apt clean-editors

node_modules/.package-lock.json: package.json package-lock.json
	$(EDITORS_NPM) ci --no-audit --no-fund

## client: bundle the extension into client/out/extension.js
client: node_modules/.package-lock.json
	$(EDITORS_NPM) run build

## vsix: torchpeek-<version>.vsix with the server and its libraries inside (vsce package --no-dependencies)
vsix: $(EDITORS_VSIX)

# The server's pure-Python libraries (torchpeek, pygls, lsprotocol, cattrs, attrs,
# jinja2, pyyaml) go inside the .vsix: the extension runs them with any Python 3.10+
# and installs nothing into it. PyYAML and MarkupSafe fall back to pure Python where
# their compiled speed-ups do not match the interpreter.
EDITORS_SERVER_SOURCES := pyproject.toml $(shell find server snippets_db -type f \( -name '*.py' -o -name '*.yaml' \) 2>/dev/null)

client/bundled/.stamp: $(STAMP) $(EDITORS_SERVER_SOURCES)
	rm -rf client/bundled
	$(EDITORS_PYTHON) -m pip install --quiet --no-compile --target client/bundled/libs .
	rm -rf client/bundled/libs/bin
	touch $@

$(EDITORS_VSIX): node_modules/.package-lock.json client/bundled/.stamp client/launcher/serve.py package.json .vscodeignore esbuild.mjs $(wildcard client/src/*.ts) client/README.md
	$(EDITORS_NPM) run package

## test-client: tsc --noEmit and the vscode-free unit tests (node --test)
test-client: node_modules/.package-lock.json
	$(EDITORS_NPM) test

## editors-apt: the Debian packages the editor tests need (run as root)
editors-apt:
	apt-get install -y $(EDITORS_APT)

## code-server: code-server 4.100.3 into $(EDITORS_CACHE) (cached between runs)
code-server:
	TORCHPEEK_EDITORS_CACHE=$(EDITORS_CACHE) tests/editors/scripts/install-code-server.sh

tests/editors/node_modules/.package-lock.json: tests/editors/package.json tests/editors/package-lock.json
	$(EDITORS_NPM) ci --prefix tests/editors --no-audit --no-fund

editors-setup: vsix code-server tests/editors/node_modules/.package-lock.json

## test-editors: VS Code (code-server + chromium), Neovim and Emacs against the real server
test-editors: $(STAMP) editors-setup
	TORCHPEEK_EDITORS_CACHE=$(EDITORS_CACHE) $(EDITORS_PYTHON) -m pytest -m editors tests/editors

clean-editors:
	rm -rf client/out node_modules tests/editors/node_modules tests/editors/artifacts $(EDITORS_VSIX)
