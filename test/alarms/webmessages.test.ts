import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Messenger } from '../../src/core/messages/messenger';
import { renderTemplate } from '../../src/core/messages/template';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

interface Web {
  id: number;
  status: string;
  reply: string | null;
  subject: string;
  user_display_name: string;
}

describe('message templates', () => {
  it('substitutes $name, ${name} and MyEMS %s in order; leaves unknown names; never evaluates', () => {
    expect(renderTemplate('%s截止到目前电耗%s,超标%s。', {}, ['Plant', 600, 100.12345])).toBe('Plant截止到目前电耗600,超标100.123。');
    expect(renderTemplate('$space_name used ${consumption}kWh; $unknown; costs $$5', { space_name: 'Hall A', consumption: 12.5 })).toBe('Hall A used 12.5kWh; $unknown; costs $5');
    expect(renderTemplate('%s and %s', {}, ['one'])).toBe('one and %s');
    expect(renderTemplate('${constructor} $__proto__ ${process.exit(1)}', {})).toBe('${constructor} $__proto__ ${process.exit(1)}');
  });
});

describe('web messages and notifications (per user)', () => {
  let rt: TestRuntime;
  let other: Record<string, string>;
  beforeAll(async () => {
    rt = await startTestRuntime();
    await rt.api('POST', '/users', { name: 'op2', display_name: 'Operator Two', email: 'op2@plant.test', password: 'Operator-Two-1' });
    const r = await fetch(`${rt.url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name: 'op2', password: 'Operator-Two-1' } }) });
    const s = (await r.json()) as { user_uuid: string; token: string };
    other = { 'User-UUID': s.user_uuid, Token: s.token, 'Content-Type': 'text/plain' };
    const messenger = rt.ctx.services.get('messenger') as Messenger;
    for (const i of [1, 2, 3]) messenger.send({ channel: 'WEB', subject: `Alarm ${i}`, body: `body ${i}`, recipients: [{ user_id: 1 }] });
    messenger.send({ channel: 'WEB', subject: 'For op2', body: 'x', recipients: [{ user_id: 2 }] });
    messenger.notify('Flood', 'Alarm flood in progress', '/alarms');
  });
  afterAll(async () => rt?.stop());

  it('lists a user their own messages only; new ones through webmessagesnew', async () => {
    const mine = (await rt.api<Web[]>('GET', '/webmessagesnew')).body;
    expect(mine.map((m) => m.subject)).toEqual(['Alarm 3', 'Alarm 2', 'Alarm 1']);
    expect(mine[0].user_display_name).toBeTruthy();
    const theirs = (await (await fetch(`${rt.url}/api/webmessages`, { headers: other })).json()) as Web[];
    expect(theirs.map((m) => m.subject)).toEqual(['For op2']);
    expect((await fetch(`${rt.url}/api/webmessages/${mine[0].id}`, { headers: other })).status).toBe(404);
    const ranged = await rt.api<Web[]>('GET', '/webmessages?startdatetime=2000-01-01T00:00:00&enddatetime=2999-01-01T00:00:00');
    expect(ranged.body).toHaveLength(3);
    expect((await rt.api('GET', '/webmessages?startdatetime=yesterday')).status).toBe(400);
  });

  it('marks read, acknowledges with a required reply, batch-reads and batch-deletes (MyEMS text/plain bodies)', async () => {
    const [m3, m2, m1] = (await rt.api<Web[]>('GET', '/webmessagesnew')).body;
    expect((await rt.api<Web>('PUT', `/webmessages/${m3.id}`, { status: 'read' })).body.status).toBe('read');
    const noReply = await rt.api<{ field: string }>('PUT', `/webmessages/${m2.id}`, { status: 'acknowledged' });
    expect(noReply.status).toBe(400);
    expect(noReply.body.field).toBe('reply');
    const ack = await rt.api<Web>('PUT', `/webmessages/${m2.id}`, { status: 'acknowledged', reply: 'on my way' });
    expect(ack.body).toMatchObject({ status: 'acknowledged', reply: 'on my way' });
    expect((await rt.api('PUT', `/webmessages/${m1.id}`, { status: 'deleted' })).status).toBe(400);
    const batch = await fetch(`${rt.url}/api/webmessagesbatch`, { method: 'PUT', headers: { ...rt.headers, 'Content-Type': 'text/plain' }, body: JSON.stringify({ ids: `${m1.id},${m2.id}` }) });
    expect(batch.status).toBe(200);
    expect((await rt.api<Web>('GET', `/webmessages/${m1.id}`)).body.status).toBe('read');
    expect((await rt.api<Web>('GET', `/webmessages/${m2.id}`)).body.status).toBe('acknowledged'); // reading never un-acknowledges
    expect((await rt.api<Web[]>('GET', '/webmessagesnew')).body).toEqual([]);
    const audit = (await rt.api<{ action: string }[]>('GET', '/auditlogs?action=message.ack')).body;
    expect(audit).toHaveLength(1);
    const del = await fetch(`${rt.url}/api/webmessagesbatch`, { method: 'DELETE', headers: { ...rt.headers, 'Content-Type': 'text/plain' }, body: JSON.stringify({ ids: `${m1.id},${m3.id}` }) });
    expect(del.status).toBe(204);
    expect((await rt.api<Web[]>('GET', '/webmessages')).body.map((m) => m.id)).toEqual([m2.id]);
    expect((await fetch(`${rt.url}/api/webmessagesbatch`, { method: 'PUT', headers: rt.headers, body: JSON.stringify({ ids: 'a,b' }) })).status).toBe(400);
  });

  it('acknowledges all new messages at once', async () => {
    (rt.ctx.services.get('messenger') as Messenger).send({ channel: 'WEB', subject: 'Late', body: 'x', recipients: [{ user_id: 1 }] });
    const r = await rt.api<{ updated: number }>('PUT', '/webmessagesnew', { status: 'acknowledged', reply: 'OK' });
    expect(r.body.updated).toBe(1);
    expect((await rt.api<Web[]>('GET', '/webmessagesnew')).body).toEqual([]);
  });

  it('an administrator posts a web message to one user or to all; others may not', async () => {
    const one = await rt.api<{ ids: number[] }>('POST', '/webmessagesnew', { user_id: 2, subject: 'Shift note', message: 'Transformer T2 on manual' });
    expect(one.status).toBe(201);
    expect(one.body.ids).toHaveLength(1);
    const theirs = (await (await fetch(`${rt.url}/api/webmessagesnew`, { headers: other })).json()) as Web[];
    expect(theirs.map((m) => m.subject)).toContain('Shift note');
    const all = await rt.api<{ ids: number[] }>('POST', '/webmessagesnew', { subject: 'Drill at 14:00', message: 'Fire drill' });
    expect(all.body.ids).toHaveLength(2);
    expect((await rt.api('POST', '/webmessagesnew', { user_id: 999, subject: 's', message: 'm' })).status).toBe(404);
    expect((await rt.api('POST', '/webmessagesnew', { subject: '', message: 'm' })).status).toBe(400);
    const denied = await fetch(`${rt.url}/api/webmessagesnew`, { method: 'POST', headers: other, body: JSON.stringify({ data: { subject: 's', message: 'm' } }) });
    expect(denied.status).toBe(403);
  });

  it('notifications: unread -> read -> archived, filtered by status, per user', async () => {
    const unread = (await rt.api<{ id: number; subject: string }[]>('GET', '/notifications?status=unread')).body;
    expect(unread.map((n) => n.subject)).toEqual(['Flood']);
    expect((await rt.api<{ status: string }>('PUT', `/notifications/${unread[0].id}`, { status: 'archived' })).body.status).toBe('archived');
    expect((await rt.api('PUT', `/notifications/${unread[0].id}`, { status: 'gone' })).status).toBe(400);
    expect((await rt.api('GET', '/notifications?status=gone')).status).toBe(400);
    expect((await fetch(`${rt.url}/api/notifications/${unread[0].id}`, { headers: other })).status).toBe(404);
    expect((await rt.api('DELETE', `/notifications/${unread[0].id}`)).status).toBe(204);
  });
});
