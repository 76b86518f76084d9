#!/bin/sh
# The national-scale benchmark: 10,000 units served by nginx on 127.0.0.1
# (Debian's package: apt-get install nginx-light), with 0, 1, 10 and 100
# cases per unit (up to 1,000,000 cases). Each scale runs `benches/pipeline.rs`,
# which generates the data, starts nginx, runs every scenario BENCH_RUNS times
# (default 3) and prints one line per figure with its target and the ratio
# against a baseline measured in the same run.
#
#   benches/national.sh            # every scale
#   benches/national.sh 0 10       # only these cases-per-unit
set -eu
cd "$(dirname "$0")/.."
command -v nginx >/dev/null || { echo "nginx is needed: apt-get install nginx-light" >&2; exit 2; }
scales=${*:-0 1 10 100}
cargo bench --bench pipeline --no-run
for cases in $scales; do
    BENCH_NGINX=1 BENCH_UNITS=${BENCH_UNITS:-10000} BENCH_CASES=$cases BENCH_RUNS=${BENCH_RUNS:-3} \
        cargo bench --bench pipeline
done
