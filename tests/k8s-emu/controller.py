class Controller:
    def __init__(self, store, reg, faults, delay, log):
        self.store, self.reg, self.faults, self.delay, self.log = store, reg, faults, delay, log
    def run(self, stop):
        while not stop.wait(self.faults.controller_delay(self.delay)):
            if self.faults.load().get("paused"):
                continue
            self.store.gc()
