#!/bin/bash
# start brink serve, then give its edge worker threads a 100 us custom slice (sched_setattr)
/tmp/brink-base serve --listen "$1" --origin "$2" &
pid=$!
sleep 0.5
tids=$(for t in /proc/$pid/task/*; do grep -q brink-edge $t/comm && basename $t; done)
python3 /tmp/slice.py 100000 $tids >&2
wait $pid
