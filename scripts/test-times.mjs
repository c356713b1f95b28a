// A node:test reporter for `TEST_TIMES=FILE npm test`: each test file's time (the sum of its top-level
// tests and suites, hooks included) and test count, slowest first, so the slow files are easy to find.
export default async function* testTimes(source) {
  const files = new Map();
  for await (const event of source) {
    const { file, nesting, details } = event.data ?? {};
    if (!file || (event.type !== 'test:pass' && event.type !== 'test:fail')) continue;
    const row = files.get(file) ?? { ms: 0, tests: 0 };
    files.set(file, row);
    if (details?.type !== 'suite') row.tests++;
    if (nesting === 0) row.ms += details?.duration_ms ?? 0;
  }
  const rows = [...files].sort((a, b) => b[1].ms - a[1].ms);
  for (const [file, { ms, tests }] of rows) {
    yield `${(ms / 1000).toFixed(1).padStart(7)} s ${String(tests).padStart(5)} tests  ${file.replace(/^.*?dist\/test\//, '')}\n`;
  }
}
