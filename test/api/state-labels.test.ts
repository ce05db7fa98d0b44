/**
 * Discrete points with state labels: the labels are validated, and a write or command may send only a defined
 * state; a command that defines its value ("Close" = 1) cannot send the value that opens. Refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

describe('state labels of discrete points', () => {
  let rt: TestRuntime;
  let point: number;
  let close: number;
  const auditCount = () => (rt.ctx.store.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;

  beforeAll(async () => {
    rt = await startTestRuntime();
    const gw = await rt.api<{ id: number }>('POST', '/gateways', { name: 'Local' });
    const ds = await rt.api<{ id: number }>('POST', '/datasources', { name: 'Hand', gateway_id: gw.body.id, protocol: 'manual', connection: '{}' });
    expect(ds.status).toBe(201);
    const p = await rt.api<{ id: number }>('POST', '/points', { name: 'Breaker', data_source_id: ds.body.id, object_type: 'DIGITAL_VALUE', address: {}, state_labels: { 0: 'Open', 1: 'Closed' } });
    expect(p.status).toBe(201);
    point = p.body.id;
    const c = await rt.api<{ id: number }>('POST', '/commands', { name: 'Close breaker', topic: `myems/point/${point}`, payload: '{"value": $s1}', set_value: 1 });
    expect(c.status).toBe(201);
    close = c.body.id;
  });
  afterAll(async () => rt?.stop());

  it('keeps the labels and answers them with the point', async () => {
    const r = await rt.api<{ state_labels: string }>('GET', `/points/${point}`);
    expect(JSON.parse(r.body.state_labels)).toEqual({ 0: 'Open', 1: 'Closed' });
  });

  it.each([
    [{ open: 'Open' }, 'must be a number'],
    [{ 0: '' }, 'must be a name'],
    [{ 0: 'Open', 1: 'open' }, 'twice'],
    [[1, 2], 'JSON object'],
  ])('refuses bad labels %j with a 400 naming state_labels', async (labels, words) => {
    const before = await rt.api<{ state_labels: string }>('GET', `/points/${point}`);
    const r = await rt.api<{ field: string; message: string }>('PUT', `/points/${point}`, { ...before.body, state_labels: labels });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('state_labels');
    expect(r.body.message).toContain(words);
    expect((await rt.api<{ state_labels: string }>('GET', `/points/${point}`)).body.state_labels).toBe(before.body.state_labels);
  });

  it('sends the command its own state, and the value reaches the point', { timeout: 60_000 }, async () => {
    // a hand-entered point has no device to answer: the arbiter writes it without a value read first
    const r = await rt.api<{ ok: boolean }>('PUT', `/commands/${close}/send`, {});
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    await expect.poll(async () => (await rt.api<{ value: number }>('GET', `/points/${point}/latest`)).body.value, { timeout: 15_000 }).toBe(1);
  });

  it('refuses the opening value through the closing command, and writes nothing', async () => {
    const audits = auditCount();
    const r = await rt.api<{ field: string; message: string }>('PUT', `/commands/${close}/send`, { set_value: 0 });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('set_value');
    expect(r.body.message).toContain('Closed');
    expect(auditCount()).toBe(audits);
    expect((await rt.api<{ value: number }>('GET', `/points/${point}/latest`)).body.value).toBe(1);
  });

  it('refuses a direct write of a value that is not a state', async () => {
    const audits = auditCount();
    const r = await rt.api<{ field: string; message: string }>('PUT', `/points/${point}/write`, { value: 7 });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('value');
    expect(r.body.message).toContain('0 (Open), 1 (Closed)');
    expect(auditCount()).toBe(audits);
  });

  it('refuses an operator override to a value that is not a state', async () => {
    const audits = auditCount();
    const r = await rt.api<{ field: string }>('POST', `/control/points/${point}/requests`, { value: 2 });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('value');
    expect(auditCount()).toBe(audits);
  });
});
