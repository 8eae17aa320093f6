"""WORKDIR/faults.json: fault injection and timing, re-read on every use.

Faults.load() returns the current dict (empty if the file is missing or
malformed; a malformed file is logged once per content). take_failure()
decides whether a request must fail and consumes one count of the entry.
"""

import json
import os
import re
import threading


class Faults:
    def __init__(self, path, log=print):
        self.path = path
        self.log = log
        self.lock = threading.Lock()
        self.used = {}        # entry JSON text -> times it has fired
        self.bad_seen = None  # last malformed content reported

    def load(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return {}
        except OSError as e:
            self.log("faults: cannot read %s: %s" % (self.path, e))
            return {}
        try:
            d = json.loads(text) if text.strip() else {}
            if not isinstance(d, dict):
                raise ValueError("top level must be an object")
            return d
        except ValueError as e:
            if self.bad_seen != text:
                self.bad_seen = text
                self.log("faults: ignoring malformed %s: %s" % (self.path, e))
            return {}

    def controller_delay(self, default):
        d = self.load().get("delay")
        if isinstance(d, (int, float)) and not isinstance(d, bool) and d >= 0.01:
            return float(d)
        return default

    def take_failure(self, method, path):
        """Returns the matching fail_requests entry (dict) and consumes one
        use of it, or None."""
        entries = self.load().get("fail_requests") or []
        if not isinstance(entries, list):
            return None
        with self.lock:
            for e in entries:
                if not isinstance(e, dict) or not isinstance(e.get("status"), int):
                    continue
                if e.get("method") and str(e["method"]).upper() != method:
                    continue
                rx = e.get("path_regex")
                try:
                    if rx and not re.search(rx, path):
                        continue
                except re.error:
                    continue
                key = json.dumps(e, sort_keys=True)
                count = e.get("count", 1)
                n = self.used.get(key, 0)
                if count != -1 and n >= count:
                    continue
                self.used[key] = n + 1
                return e
        return None

    def in_list(self, key, name):
        v = self.load().get(key) or []
        return isinstance(v, list) and name in v


def faults_for(workdir, log=print):
    return Faults(os.path.join(workdir, "faults.json"), log)
