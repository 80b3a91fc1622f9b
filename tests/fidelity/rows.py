"""One row per operation an official client carried out against the simulator, and the table
the suite prints at the end."""
import time


class Rows:
    def __init__(self):
        self.rows = []

    def check(self, client, operation, step):
        """Runs `step`; a row says what it returned, or why it failed."""
        started = time.monotonic()
        try:
            detail = step() or ""
            ok = True
        except Exception as error:  # Any failure is the row's result, and the suite goes on.
            detail, ok = f"{type(error).__name__}: {error}", False
        self.add({"client": client, "operation": operation, "ok": ok, "detail": str(detail),
                  "ms": round((time.monotonic() - started) * 1000)})
        return ok

    def add(self, row):
        self.rows.append(row)

    def failures(self):
        return [row for row in self.rows if not row.get("ok")]

    def table(self):
        header = ("client", "operation", "result", "ms")
        lines = [(row["client"], row["operation"],
                  ("ok" if row.get("ok") else "FAILED") + (f": {row['detail']}" if row.get("detail") else ""),
                  str(row.get("ms", ""))) for row in self.rows]
        clip = lambda text, width: text if len(text) <= width else text[:width - 1] + "…"
        lines = [(clip(a, 34), clip(b, 58), clip(c, 100), d) for a, b, c, d in lines]
        widths = [max(len(column) for column in columns) for columns in zip(header, *lines)]
        def fmt(cells):
            return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"
        rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
        return "\n".join([fmt(header), rule] + [fmt(line) for line in lines])
