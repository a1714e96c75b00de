"""The vendors' API budget headers and their limits, for crmserver.py.

Salesforce: every answer carries "Sforce-Limit-Info: api-usage=USED/MAX",
the org's daily requests (MAX: the faults body's "daily", default 15000;
USED: the server's requests so far, as /limits counts them).

HubSpot and Dataverse state a budget only when the faults body sets one
("budget": {...}), so the other tests' pace is untouched:

  "hubspot":  {"max": N, "interval_ms": MS, "daily": D}
      every HubSpot answer carries X-HubSpot-RateLimit-Max, -Remaining,
      -Interval-Milliseconds (a window rolling over MS, as HubSpot's
      TEN_SECONDLY_ROLLING), -Daily and -Daily-Remaining; a request over
      the window is refused with 429 RATE_LIMITS and a sub-second Retry-After.
  "dynamics": {"requests": N, "window": SECONDS, "time": SECONDS}
      every Dataverse answer carries x-ms-ratelimit-burst-remaining-xrm-requests
      (N less the requests in the sliding window) and
      x-ms-ratelimit-time-remaining-xrm-requests (the server time left, 10 ms
      a request); one over the window is refused with 429 0x80072322 and
      Retry-After.
  "pipedrive": {"max": N, "window": SECONDS}
      every Pipedrive answer carries x-ratelimit-limit (N), x-ratelimit-remaining
      (N less the requests in the window, 2 s unless told) and x-ratelimit-reset
      (the whole seconds until a slot frees); one over the window is refused
      with 429 "Request over limit" and a sub-second Retry-After.

State (/__admin/state "budget"): per system the most requests any window
held ("peak") and the requests refused ("refused")."""

import collections
import math
import time


class Budget:
    def __init__(self, spec=None, daily=None):
        spec = spec or {}
        self.daily = daily or 15000
        self.hs = spec.get("hubspot")
        self.dyn = spec.get("dynamics")
        self.pd = spec.get("pipedrive")
        self.starts = {"hubspot": collections.deque(), "dynamics": collections.deque(),
                       "pipedrive": collections.deque()}
        self.stats = {s: {"peak": 0, "refused": 0} for s in self.starts}

    def _window(self, system, seconds, limit):
        """Counts a request in system's sliding window: (in the window after
        it, or None when refused, and the seconds until a slot frees)."""
        now = time.monotonic()
        q = self.starts[system]
        while q and q[0] <= now - seconds:
            q.popleft()
        st = self.stats[system]
        if len(q) >= limit:
            st["refused"] += 1
            return None, q[0] + seconds - now
        q.append(now)
        st["peak"] = max(st["peak"], len(q))
        return len(q), 0.0

    def take(self, system, requests):
        """A request to system, the server's requests counted so far: the
        headers its answer carries, and a wait (seconds) when it is refused."""
        if system == "salesforce":
            return {"Sforce-Limit-Info": "api-usage=%d/%d" % (min(requests, self.daily), self.daily)}, None
        if system == "hubspot" and self.hs:
            limit, ms = int(self.hs["max"]), int(self.hs.get("interval_ms", 10000))
            used, wait = self._window(system, ms / 1000.0, limit)
            daily = int(self.hs.get("daily", 250000))
            h = {"X-HubSpot-RateLimit-Max": str(limit),
                 "X-HubSpot-RateLimit-Remaining": str(limit - (used if used is not None else limit)),
                 "X-HubSpot-RateLimit-Interval-Milliseconds": str(ms),
                 "X-HubSpot-RateLimit-Daily": str(daily),
                 "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, daily - requests))}
            return h, (None if used is not None else wait)
        if system == "dynamics" and self.dyn:
            limit, seconds = int(self.dyn["requests"]), float(self.dyn.get("window", 300))
            used, wait = self._window(system, seconds, limit)
            n = used if used is not None else limit
            h = {"x-ms-ratelimit-burst-remaining-xrm-requests": str(limit - n),
                 "x-ms-ratelimit-time-remaining-xrm-requests": "%.2f" % max(0.0, float(self.dyn.get("time", 1200))
                                                                            - 0.01 * n)}
            return h, (None if used is not None else wait)
        if system == "pipedrive" and self.pd:
            limit, seconds = int(self.pd["max"]), float(self.pd.get("window", 2))
            used, wait = self._window(system, seconds, limit)
            n = used if used is not None else limit
            h = {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(limit - n),
                 "x-ratelimit-reset": str(int(math.ceil(wait)) if used is None else int(seconds))}
            return h, (None if used is not None else wait)
        return {}, None
