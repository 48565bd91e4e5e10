#!/bin/bash
# rate.sh PORT RPS_PER_CLIENT -> p50/p99 ms from h2load per-request log
port=$1; rps=$2
log=$(mktemp)
out=$(h2load --h1 -t2 -c64 --rps=$rps -D 8 --log-file=$log http://127.0.0.1:$port/1k.bin 2>&1)
echo "$out" | grep -E '^finished|^requests:' | tr '\n' ' '
awk '{print $3}' $log | sort -n | awk '{a[NR]=$1} END {printf "n=%d p50=%.3fms p99=%.3fms p999=%.3fms\n", NR, a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000, a[int(NR*0.999)]/1000}'
rm -f $log
