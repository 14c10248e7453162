// Waiting for a condition in black-box tests: fn is polled until it returns
// something truthy (an error it throws counts as "not yet"). The deadline
// only bounds a broken server; it is never what a test measures.
export async function eventually(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timeout: ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
