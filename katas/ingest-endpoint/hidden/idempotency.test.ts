import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { closeHost, countIn, type Env, expectedRows, expectMessage, flights2k, flights5k, post, type Reply, rowsIn, show, start } from './support';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});
afterAll(async () => {
  await closeHost();
});

const key = (name: string) => ({ 'Idempotency-Key': `kata-${name}-7f3c2a` });

/** A set-up request that must be written: fails with the answer when it is not a 201. */
async function expectWritten(request: Promise<Reply>): Promise<Reply> {
  const reply = await request;
  expect(reply.status, `a valid batch (set-up for this test) answered ${show(reply)}`).toBe(201);
  return reply;
}

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
    await expectWritten(post(env.server, batch));
    const retry = await post(env.server, batch);
    expect(retry.status, `the same batch again without a key answered ${show(retry)}`).toBe(409);
    expect(retry.body?.error?.conflicts, 'every record conflicts').toEqual(batch.map((_, i) => i));
    const newKey = await post(env.server, batch, key('fresh'));
    expect(newKey.status, `the same batch with a key never seen answered ${show(newKey)}`).toBe(409);
    expect(countIn(env.db), 'rows in flights: the first batch only').toBe(30);
  });

  test('the same key with a different body is a 422 and writes nothing', async () => {
    env = await start();
    await expectWritten(post(env.server, flights2k.slice(0, 10), key('b')));
    const other = flights2k.slice(10, 20);
    const r = await post(env.server, other, key('b'));
    expect(r.status, `a different batch under a used key answered ${show(r)}`).toBe(422);
    expect(r.body?.error?.code, 'error.code').toBe('idempotency_key_reused');
    expectMessage(r, 'a different batch under a used key');
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
    expect(r2.body, 'body of the 201').toEqual({ inserted: 20 });
    // A key whose batch was a conflict can be used again too.
    const conflicting = [flights2k[100], good[0]];
    const conflict = await post(env.server, conflicting, key('d'));
    expect(conflict.status, `a batch with a stored flight under a new key answered ${show(conflict)}`).toBe(409);
    const r3 = await post(env.server, [flights2k[100]], key('d'));
    expect(r3.status, `after a 409, the key with a writable batch answered ${show(r3)}`).toBe(201);
    expect(countIn(env.db), 'rows in flights: the corrected batch and the one flight').toBe(21);
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
    expect(first.status, `the first POST with a key answered ${show(first)}`).toBe(201);
    await env.restart();
    const retry = await post(env.server, batch, key('f'));
    expect(
      retry.status,
      `after a restart (src/app.ts loaded afresh, the database reopened: only what is in the database survives), the retry with the same key answered ${show(retry)}`,
    ).toBe(200);
    expect(retry.body, 'the retry after a restart should return the original 201 body').toEqual(first.body);
    const reuse = await post(env.server, flights2k.slice(1600, 1601), key('f'));
    expect(reuse.status, `after a restart, the key with another body answered ${show(reuse)}`).toBe(422);
    expect(countIn(env.db), 'rows in flights: the batch once').toBe(40);
  });

  test('an Idempotency-Key over 255 characters is a 400 on path "Idempotency-Key"', async () => {
    env = await start();
    const r = await post(env.server, flights2k.slice(0, 2), { 'Idempotency-Key': 'k'.repeat(256) });
    expect(r.status, `a 256-character key answered ${show(r)}`).toBe(400);
    expect((r.body?.error?.fields ?? []).map((f: { path: string }) => f.path), 'error.fields paths').toContain('Idempotency-Key');
    expectMessage(r, 'a 256-character key');
    const keyField = (r.body?.error?.fields ?? []).find((f: { path: string }) => f.path === 'Idempotency-Key');
    expect(typeof keyField?.message === 'string' && keyField.message.length > 0, `the message of the Idempotency-Key entry of error.fields, got ${JSON.stringify(keyField)}`).toBe(true);
    expect(countIn(env.db), 'rows in flights after the 400').toBe(0);
    const ok = await post(env.server, flights2k.slice(0, 2), { 'Idempotency-Key': 'k'.repeat(255) });
    expect(ok.status, `a 255-character key answered ${show(ok)}`).toBe(201);
  });

  test('an empty Idempotency-Key is a 400 on path "Idempotency-Key", not a request without a key', async () => {
    env = await start();
    const r = await post(env.server, flights2k.slice(0, 2), { 'Idempotency-Key': '' });
    expect(r.status, `a request with the header "Idempotency-Key:" and no value answered ${show(r)}`).toBe(400);
    expect(r.body?.error?.code, 'error.code').toBe('validation');
    expect(pathsOf(r.body), 'error.fields paths').toEqual(['Idempotency-Key']);
    expect(countIn(env.db), 'rows in flights').toBe(0);
  });
});

/** The `path`s of a 400 validation answer, sorted and de-duplicated. */
const pathsOf = (body: any): string[] => [...new Set<string>((body?.error?.fields ?? []).map((f: { path: unknown }) => String(f.path)))].sort();

describe('a request with several problems: the first step that fails gives the answer', () => {
  const badKey = { 'Idempotency-Key': 'k'.repeat(256) };

  test('the body is read first: over 256 KiB is 413 and invalid JSON is invalid_json, whatever the key', async () => {
    env = await start();
    const tooBig = await post(env.server, flights5k, badKey);
    expect({ status: tooBig.status, code: tooBig.body?.error?.code }, `a body over 256 KiB with a 256-character key answered ${show(tooBig)}`).toEqual({
      status: 413,
      code: 'payload_too_large',
    });
    const notJson = await post(env.server, '[{"date": ', { 'Idempotency-Key': '' });
    expect({ status: notJson.status, code: notJson.body?.error?.code }, `invalid JSON with an empty key answered ${show(notJson)}`).toEqual({
      status: 400,
      code: 'invalid_json',
    });
    const batch = flights2k.slice(0, 5);
    await expectWritten(post(env.server, batch, key('read')));
    const replayNotJson = await post(env.server, '[{"date": ', key('read'));
    expect({ status: replayNotJson.status, code: replayNotJson.body?.error?.code }, `invalid JSON under a used key answered ${show(replayNotJson)}`).toEqual({
      status: 400,
      code: 'invalid_json',
    });
    const replayTooBig = await post(env.server, flights5k, key('read'));
    expect(replayTooBig.status, `a body over 256 KiB under a used key answered ${show(replayTooBig)}`).toBe(413);
    expect(countIn(env.db), 'rows in flights').toBe(5);
  });

  test('a malformed key is listed with every bad field of the body in one 400', async () => {
    env = await start();
    const batch: unknown[] = flights2k.slice(0, 4).map((f) => ({ ...f }));
    batch[1] = { ...(batch[1] as object), delay: 'late' };
    batch[3] = null;
    for (const header of [{ 'Idempotency-Key': '' }, badKey]) {
      const r = await post(env.server, batch, header);
      expect(r.status, `a bad batch with Idempotency-Key of ${header['Idempotency-Key'].length} characters answered ${show(r)}`).toBe(400);
      expect(r.body?.error?.code, 'error.code').toBe('validation');
      expect(pathsOf(r.body), 'error.fields paths: the key and every bad field of the body').toEqual(['1.delay', '3', 'Idempotency-Key']);
    }
    const notArray = await post(env.server, { flights: [] }, badKey);
    expect(pathsOf(notArray.body), `a body that is not an array with a 256-character key answered ${show(notArray)}`).toEqual(['', 'Idempotency-Key']);
    expect(countIn(env.db), 'rows in flights').toBe(0);
  });

  test('a malformed key with a valid batch is a 400, even when the batch would conflict', async () => {
    env = await start();
    const batch = flights2k.slice(20, 25);
    await expectWritten(post(env.server, batch));
    const r = await post(env.server, [flights2k[30], flights2k[21]], badKey);
    expect(r.status, `a batch with a stored flight and a 256-character key answered ${show(r)}`).toBe(400);
    expect(pathsOf(r.body), 'error.fields paths').toEqual(['Idempotency-Key']);
    expect(rowsIn(env.db), 'flights: only the first batch').toEqual(expectedRows(batch));
  });

  test('a used key with a different body is a 422 even when that body is invalid', async () => {
    env = await start();
    await expectWritten(post(env.server, flights2k.slice(0, 3), key('g')));
    for (const body of [[{ ...flights2k[5], delay: 'N/A' }], [], { flights: flights2k.slice(0, 3) }]) {
      const r = await post(env.server, body, key('g'));
      expect({ status: r.status, code: r.body?.error?.code }, `a used key with the other, invalid body ${JSON.stringify(body).slice(0, 80)} answered ${show(r)}`).toEqual({
        status: 422,
        code: 'idempotency_key_reused',
      });
    }
    expect(countIn(env.db), 'rows in flights').toBe(3);
  });

  test('validation comes before conflicts: a batch with a bad field and a stored flight is a 400', async () => {
    env = await start();
    await expectWritten(post(env.server, flights2k.slice(0, 10)));
    const batch = [flights2k[3], { ...flights2k[50], distance: 0 }, flights2k[51], flights2k[51]];
    const r = await post(env.server, batch);
    expect(r.status, `a batch with a stored flight (0), a bad distance (1) and a repeat (3) answered ${show(r)}`).toBe(400);
    expect(pathsOf(r.body), 'error.fields paths').toEqual(['1.distance']);
    expect(countIn(env.db), 'rows in flights').toBe(10);
  });
});
