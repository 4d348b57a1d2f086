# Ad-hoc check (issue 10, 2026-12-06): a thread that sleeps 1 ms at a time and records every wake-up more than 5 ms
# after the previous one. Run as `nice -n -20 python3 wakeup-gaps.py 300 out.json` beside two `nice -n 19` spinning loops:
# a gap it records is a time the machine (not one process) did not run it.
import time, json, sys
dur=float(sys.argv[1]); out=sys.argv[2]
gaps=[]; t0=time.monotonic(); last=t0; n=0
while True:
    time.sleep(0.001)
    now=time.monotonic(); g=(now-last)*1000; n+=1
    if g>5: gaps.append((round(now-t0,3), round(g,1)))
    last=now
    if now-t0>dur: break
json.dump({'seconds':dur,'wakeups':n,'gapsOver5ms':gaps,'over20':sum(1 for _,g in gaps if g>20),'over50':sum(1 for _,g in gaps if g>50),'max':max([g for _,g in gaps],default=0)}, open(out,'w'))
print(n, len(gaps), max([g for _,g in gaps],default=0), sum(1 for _,g in gaps if g>50))
