import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { closeHost, countIn, type Env, expectedRows, flights2k, post, rowsIn, show, start } from './support';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});
afterAll(async () => {
  await closeHost();
});

const key = (name: string) => ({ 'Idempotency-Key': `kata-${name}-7f3c2a` });

describe('Idempotency-Key', () => {
  test('a retry with the same key and body answers 200 with the original body and writes nothing', async () => {
    env = await start();
    const batch = flights2k.slice(0, 120);
    const first = await post(env.server, batch, key('a'));
    expect(first.status, `first POST with Idempotency-Key answered ${show(first)}`).toBe(201);
    const retry = await post(env.server, batch, key('a'));
    expect(retry.status, `the retry with the same key answered ${show(retry)}`).toBe(200);
    expect(retry.body, 'the retry should return the original 201 body').toEqual(first.body);
    const again = await post(env.server, batch, key('a'));
    expect(again.status, 'a third try with the same key').toBe(200);
    // The same JSON laid out differently is the same body: JSON.stringify of the parsed body is equal.
    const pretty = await post(env.server, JSON.stringify(batch, null, 2), key('a'));
    expect(pretty.status, `a retry with the same key and the same JSON, pretty-printed, answered ${show(pretty)}`).toBe(200);
    expect(pretty.body, 'the pretty-printed retry should return the original 201 body').toEqual(first.body);
    expect(rowsIn(env.db), 'flights after four tries').toEqual(expectedRows(batch));
  });

  test('without a key a retry is a 409; a new key for the same batch is a 409 too', async () => {
    env = await start();
    const batch = flights2k.slice(300, 330);
    expect((await post(env.server, batch)).status).toBe(201);
    const retry = await post(env.server, batch);
    expect(retry.status, `the same batch again without a key answered ${show(retry)}`).toBe(409);
    expect(retry.body?.error?.conflicts, 'every record conflicts').toEqual(batch.map((_, i) => i));
    const newKey = await post(env.server, batch, key('fresh'));
    expect(newKey.status, `the same batch with a key never seen answered ${show(newKey)}`).toBe(409);
    expect(countIn(env.db)).toBe(30);
  });

  test('the same key with a different body is a 422 and writes nothing', async () => {
    env = await start();
    expect((await post(env.server, flights2k.slice(0, 10), key('b'))).status).toBe(201);
    const other = flights2k.slice(10, 20);
    const r = await post(env.server, other, key('b'));
    expect(r.status, `a different batch under a used key answered ${show(r)}`).toBe(422);
    expect(r.body?.error?.code, 'error.code').toBe('idempotency_key_reused');
    const changed = flights2k.slice(0, 10).map((f, i) => (i === 4 ? { ...f, delay: f.delay + 1 } : f));
    const r2 = await post(env.server, changed, key('b'));
    expect(r2.status, `the first batch with one delay changed, under the same key, answered ${show(r2)}`).toBe(422);
    expect(countIn(env.db), 'rows in flights').toBe(10);
  });

  test('a rejected request leaves no key behind: the key works for the corrected batch', async () => {
    env = await start();
    const good = flights2k.slice(40, 60);
    const bad = good.map((f, i) => (i === 2 ? { ...f, distance: -f.distance } : f));
    const r1 = await post(env.server, bad, key('c'));
    expect(r1.status, `a bad batch with a key answered ${show(r1)}`).toBe(400);
    const r2 = await post(env.server, good, key('c'));
    expect(r2.status, `the corrected batch under the same key answered ${show(r2)}`).toBe(201);
    expect(r2.body).toEqual({ inserted: 20 });
    // A key whose batch was a conflict can be used again too.
    const conflicting = [flights2k[100], good[0]];
    expect((await post(env.server, conflicting, key('d'))).status).toBe(409);
    const r3 = await post(env.server, [flights2k[100]], key('d'));
    expect(r3.status, `after a 409, the key with a writable batch answered ${show(r3)}`).toBe(201);
    expect(countIn(env.db)).toBe(21);
  });

  test('concurrent retries with one key: one 201, the rest 200, the batch written once', async () => {
    env = await start();
    const batch = flights2k.slice(700, 1200);
    const replies = await Promise.all(Array.from({ length: 6 }, () => post(env!.server, batch, key('e'))));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses, `statuses of 6 simultaneous identical requests: ${replies.map(show).join(' | ')}`).toEqual([200, 200, 200, 200, 200, 201]);
    for (const r of replies) expect(r.body, 'every reply carries the original body').toEqual({ inserted: 500 });
    expect(countIn(env.db), 'rows in flights').toBe(500);
  });

  test('keys survive a restart of the app over the same database', async () => {
    env = await start();
    const batch = flights2k.slice(1500, 1540);
    const first = await post(env.server, batch, key('f'));
    expect(first.status).toBe(201);
    await env.restart();
    const retry = await post(env.server, batch, key('f'));
    expect(
      retry.status,
      `after a restart (src/app.ts loaded afresh, the database reopened: only what is in the database survives), the retry with the same key answered ${show(retry)}`,
    ).toBe(200);
    expect(retry.body).toEqual(first.body);
    const reuse = await post(env.server, flights2k.slice(1600, 1601), key('f'));
    expect(reuse.status, `after a restart, the key with another body answered ${show(reuse)}`).toBe(422);
    expect(countIn(env.db)).toBe(40);
  });

  test('an Idempotency-Key over 255 characters is a 400 on path "Idempotency-Key"', async () => {
    env = await start();
    const r = await post(env.server, flights2k.slice(0, 2), { 'Idempotency-Key': 'k'.repeat(256) });
    expect(r.status, `a 256-character key answered ${show(r)}`).toBe(400);
    expect((r.body?.error?.fields ?? []).map((f: { path: string }) => f.path), 'error.fields paths').toContain('Idempotency-Key');
    expect(countIn(env.db)).toBe(0);
    const ok = await post(env.server, flights2k.slice(0, 2), { 'Idempotency-Key': 'k'.repeat(255) });
    expect(ok.status, `a 255-character key answered ${show(ok)}`).toBe(201);
  });
});
