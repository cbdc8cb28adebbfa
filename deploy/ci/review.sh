#!/bin/sh
# A Claude Code Platform review as one shell step, for Jenkins, Buildkite, Gitea/Forgejo
# Actions or any runner with git and Node 20.19+: reviews BASE...HEAD of the checkout it runs
# in, writes a Markdown summary (for a PR comment) and SARIF, and fails on a high finding.
#   CCP_URL, CCP_KEY     the platform and an API key (a masked secret of the runner)
#   BASE                 the branch or commit to review against (default origin/main)
#   CCP_CLI_PACKAGE      where your organisation keeps the ccp package (default @ccp/cli)
set -eu
BASE="${BASE:-origin/main}"
command -v ccp >/dev/null 2>&1 || npm install --global "${CCP_CLI_PACKAGE:-@ccp/cli}"
# One review, two reports; exit 1 on a finding at or above high (the reports are written first).
ccp review --local --base "$BASE" --head HEAD --report markdown:ccp-review.md --report sarif:ccp-review.sarif --fail-on high
