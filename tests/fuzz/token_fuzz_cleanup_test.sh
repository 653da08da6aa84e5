#!/bin/sh
# The token fuzz harness must not leave its /tmp/pqhsm-fuzz-<pid>-* token directory behind:
# removed at exit after a normal run, and removed by the next run after a run killed by SIGKILL.
# Usage: token_fuzz_cleanup_test.sh <token_template_fuzz binary>
fuzz=$1
left() { ls -d /tmp/pqhsm-fuzz-"$1"-* 2>/dev/null; }

"$fuzz" -runs=200 >/dev/null 2>&1 &
p=$!
wait $p || { echo "fuzz run failed"; exit 1; }
if [ -n "$(left $p)" ]; then echo "normal run left $(left $p)"; exit 1; fi

"$fuzz" -max_total_time=60 >/dev/null 2>&1 &
k=$!
i=0
while [ -z "$(left $k)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill -9 $k
wait $k 2>/dev/null
if [ -z "$(left $k)" ]; then echo "killed run had no directory to clean up (test is void)"; exit 1; fi
"$fuzz" -runs=1 >/dev/null 2>&1 &
q=$!
wait $q || { echo "second fuzz run failed"; exit 1; }
if [ -n "$(left $k)" ]; then echo "stale $(left $k) of a killed run was not removed"; exit 1; fi
if [ -n "$(left $q)" ]; then echo "run $q left $(left $q)"; exit 1; fi
echo "ok"
