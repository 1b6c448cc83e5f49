# ui.mk: the web page's front-end dependencies, included by the main Makefile.
#
# The page in web/static is plain JavaScript, ES modules with no build step; the only
# things it takes from npm are hls.js and tus-js-client's browser bundle,
# copied into web/static/vendor/ (which is gitignored) so that go:embed
# picks them up: run `make ui` before `go build`.
# package-lock.json pins every package; `npm ci` installs exactly that, and
# runs again only when node_modules is gone or the lock (or package.json) is
# newer than the stamp it leaves.

NPM ?= npm
UI_STAMP := node_modules/.stamp
UI_VENDOR := web/static/vendor

.PHONY: ui ui-test

## ui: install the pinned npm packages and vendor hls.js and tus-js-client into web/static/vendor/
ui: $(UI_VENDOR)/hls.min.mjs $(UI_VENDOR)/tus.min.js

$(UI_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

# cp (without -p) gives the copy a fresh mtime, newer than the stamp, so the
# copy is redone only after a new npm ci or when the copy is missing.
# hls.js's ES module build: the page imports it (app.js).
$(UI_VENDOR)/hls.min.mjs: $(UI_STAMP)
	@mkdir -p $(@D)
	cp node_modules/hls.js/dist/hls.min.mjs $@

$(UI_VENDOR)/tus.min.js: $(UI_STAMP)
	@mkdir -p $(@D)
	cp node_modules/tus-js-client/dist/tus.min.js $@

## ui-test: browser test against a running reel, e.g. REEL_URL=http://127.0.0.1:8080 make ui-test
ui-test: $(UI_STAMP)
	node --test web/ui_test/
