#!/bin/sh
# Regenerates the man page and shell completions shipped in the .deb from the
# CLI definition (tests/operator.rs fails when they are stale).
set -eu
cd "$(dirname "$0")/.."
bin="${GIAOBAN:-target/debug/giaoban}"
[ -x "$bin" ] || cargo build --quiet
"$bin" man > deploy/man/giaoban.1
"$bin" completions bash > deploy/completions/giaoban.bash
"$bin" completions zsh > deploy/completions/_giaoban
"$bin" completions fish > deploy/completions/giaoban.fish
