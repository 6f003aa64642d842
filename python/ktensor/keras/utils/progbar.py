"""The Keras 3 progress bar:

    469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.9123 - loss: 0.3012

On a terminal the line is redrawn in place (with Keras' colours); elsewhere (a log file, a
pipe) only the finished line is printed. verbose=2 prints `469/469 - 3s - 6ms/step - ...`.
"""
import math
import sys
import time

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_BAR = "\u2501"  # ━


def format_value(v):
    v = float(v)
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def format_step_time(seconds, unit="step"):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """Progress of `target` steps. `update(current, values)` with `values` a list of (name, number)
    shown as given (the trainer passes running means already)."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step",
                 stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream
        self._values = {}
        self._start = time.time()
        self._first_step_done = None
        self._last_draw = 0.0
        self._prev_width = 0
        self._seen = 0

    @property
    def _out(self):
        return self.stream or sys.stdout

    @property
    def dynamic(self):
        out = self._out
        return bool(getattr(out, "isatty", None) and out.isatty())

    def will_draw(self, current, finalize=None):
        """Whether update(current) would print now: callers read (synchronise) values only then."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if finalize:
            return self.verbose in (1, 2)
        return self.verbose == 1 and self.dynamic and time.time() - self._last_draw >= self.interval

    def _step_time(self, current, now):
        if not current:
            return 0.0
        if current == 1 and self._first_step_done is None:
            self._first_step_done = now
        if self._first_step_done is not None and current > 1:
            return (now - self._first_step_done) / (current - 1)
        return (now - self._start) / current

    def update(self, current, values=None, finalize=None):
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or []:
            self._values[k] = v
        self._seen = current
        now = time.time()
        per_step = self._step_time(current, now)
        if self.verbose == 1 and (finalize or (self.dynamic and now - self._last_draw >= self.interval)):
            self._draw(current, per_step, now, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._semi_line(current, per_step, now) + "\n")

    def add(self, n, values=None):
        self.update(self._seen + n, values)

    def _metrics(self):
        return "".join(f" - {k}: {format_value(v)}" for k, v in self._values.items())

    def _count(self, current):
        digits = int(math.log10(self.target)) + 1
        return f"{current:{digits}d}/{self.target}"

    def _draw(self, current, per_step, now, finalize):
        color = self.dynamic
        b, g, w, r = (_BOLD, _GREEN, _WHITE, _RESET) if color else ("", "", "", "")
        if self.target:
            done = int(self.width * current / self.target)
            bar = f"{b}{self._count(current)}{r} "
            bar += f"{g}{_BAR * done}{r}" if done else ""
            bar += f"{w}{_BAR * (self.width - done)}{r}" if color else _BAR * (self.width - done)
            plain = len(self._count(current)) + 1 + self.width
        else:
            bar = f"{current:7d}/Unknown"
            plain = len(bar)
        if self.target and not finalize:
            t = format_eta(per_step * (self.target - current))
        else:
            t = f"{now - self._start:.0f}s"
        info = f" {b}{t}{r} {format_step_time(per_step, self.unit_name)}{self._metrics()}"
        width = plain + len(info) - (len(b) + len(r))
        line = ("\r" if color else "") + bar + info
        if color and self._prev_width > width:
            line += " " * (self._prev_width - width)
        self._prev_width = width
        self._last_draw = now
        self._write(line + ("\n" if finalize else ""))

    def _semi_line(self, current, per_step, now):
        count = self._count(current) if self.target else f"{current}"
        return f"{count} - {now - self._start:.0f}s - {format_step_time(per_step, self.unit_name)}{self._metrics()}"

    def _write(self, text):
        out = self._out
        out.write(text)
        out.flush()
