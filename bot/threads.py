"""How many threads one sopbot process runs, and so how many database connections it may hold."""

# waitress: each answers one HTTP request (an ack, /healthz) and may hold a connection while
# it does (event deduplication runs before the ack).
HTTP_THREADS = 16
# bolt's listeners, up to their ack; more than bolt's default five so a burst of modal
# submissions (which answer in the ack) does not queue.
LISTENER_THREADS = 32
# Work after the ack. Measured with bench/ack_latency.py: when it shared bolt's listener threads,
# a burst of slow work left new requests waiting for a free thread just to ack (p50 1.5 s at
# 100 req/s).
WORK_THREADS = 32
# APScheduler's pool for the scheduled jobs, plus the outbox dispatcher's own thread.
JOB_THREADS = 10
DISPATCHER_THREADS = 1

# Every thread holds at most one session at a time, so this many connections means no thread
# ever waits for the pool; a wait there would only be a bug, and it is cut short (pool timeout).
# With a work process (WORK_PROCESS) the work threads run there instead, with their own pool:
# the two processes together open no more connections than this.
DATABASE_CONNECTIONS = (
    HTTP_THREADS + LISTENER_THREADS + WORK_THREADS + JOB_THREADS + DISPATCHER_THREADS
)
