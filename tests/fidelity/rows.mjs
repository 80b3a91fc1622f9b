// One row per operation a client carried out, printed as JSON lines for the suite's table
// (run.py). A failed step is a row, and the script goes on to the next.
export class Rows {
  constructor(client) {
    this.client = client;
    this.rows = [];
  }

  async check(operation, step, client = this.client) {
    const started = Date.now();
    let row;
    try {
      const detail = (await step()) ?? "";
      row = { client, operation, ok: true, detail: String(detail) };
    } catch (error) {
      row = { client, operation, ok: false, detail: `${error?.message ?? error}`.slice(0, 300) };
    }
    row.ms = Date.now() - started;
    this.rows.push(row);
    return row.ok;
  }

  print() {
    for (const row of this.rows) {
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  }
}
