// A node:test reporter that writes one JSON object at the end: how many tests ran, failed, and what was
// skipped (name, file, reason). scripts/run-tests.js reads it to refuse a run that executed no test and,
// where the shared lane is required, a run that skipped any of it.
export default async function* tally(source) {
  const result = { ran: 0, failed: 0, skipped: [] };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.skip !== undefined && d.skip !== false) {
      result.skipped.push({ name: d.name, file: d.file ?? null, reason: typeof d.skip === 'string' ? d.skip : '' });
    } else if (d.todo === undefined || d.todo === false) {
      if (d.details?.type === 'suite') continue;
      result.ran++;
      if (event.type === 'test:fail') result.failed++;
    }
  }
  yield `${JSON.stringify(result)}\n`;
}
