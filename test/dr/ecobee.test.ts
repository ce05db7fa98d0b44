import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEcobeeRequest, type EcobeeRequest } from '../../src/core/dr/ecobee';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

describe('ecobee connector', () => {
  let rt: TestRuntime;
  let server: http.Server;
  const got: { url: string; auth: string; body: EcobeeRequest & { demandResponseRef?: string } }[] = [];
  let eventId: number;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ url: req.url!, auth: String(req.headers.authorization), body: JSON.parse(body) });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: { code: 0, message: '' }, demandResponseRef: 'abc123' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    rt = await startTestRuntime();
    const port = (server.address() as AddressInfo).port;
    expect((await rt.api('PUT', '/dr/ecobee', { base_url: `http://127.0.0.1:${port}`, token: 'Rc7JE8P7XUgSCPogLOx2VLMfITqQQrjg' })).status).toBe(200);
    // 2027-07-01 17:00 in Toronto (EDT, UTC-4) for two hours
    eventId = (await rt.api<{ id: number }>('POST', '/dr/events', { name: 'Heat wave', interval_period: { start: '2027-07-01T21:00:00Z', duration: 'PT2H' }, payload: { type: 'SIMPLE', value: 1 }, status: 'scheduled' })).body.id;
  });
  afterAll(async () => {
    await rt?.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const send = (data: Record<string, unknown>) => rt.api<{ field: string; status: { code: number }; demandResponseRef: string }>('POST', `/dr/events/${eventId}/ecobee`, data);
  const valid = { name: 'apiDR', message: 'This is a DR!', timezone: 'America/Toronto', temperature: 'absolute', heat_hold_temp: 790, cool_hold_temp: 790 };

  it('rejects what ecobee would refuse before sending anything', async () => {
    const long = await send({ ...valid, name: 'thirteen-char' });
    expect(long.status).toBe(400);
    expect(long.body.field).toBe('name');
    const noMode = await send({ ...valid, temperature: undefined });
    expect(noMode.body.field).toBe('temperature');
    const badZone = await send({ ...valid, timezone: 'Mars/Base' });
    expect(badZone.body.field).toBe('timezone');
    const request: EcobeeRequest = { selection: { selectionType: 'managementSet', selectionMatch: '/' }, operation: 'create', demandResponse: { name: 'x', message: 'x', event: { name: 'x', type: 'useEndTime', startDate: '2026/07/01', startTime: '17:00:00', endDate: '2026-07-01', endTime: '19:00:00', heatHoldTemp: 790, coolHoldTemp: 790, isOptional: false, isTemperatureAbsolute: true, isTemperatureRelative: false } } };
    expect(checkEcobeeRequest(request)?.field).toBe('startDate');
    expect(checkEcobeeRequest({ ...request, demandResponse: { ...request.demandResponse, event: { ...request.demandResponse.event, startDate: '2026-07-01', isTemperatureRelative: true } } })?.field).toBe('temperature');
    expect(got).toHaveLength(0);
  });

  it('sends the documented body in the thermostats local time, keeps the reference, and cancels', async () => {
    const r = await send(valid);
    expect(r.status).toBe(200);
    expect(r.body.status.code).toBe(0);
    expect(r.body.demandResponseRef).toBe('abc123');
    expect(got[0].url).toBe('/1/demandResponse?format=json');
    expect(got[0].auth).toBe('Bearer Rc7JE8P7XUgSCPogLOx2VLMfITqQQrjg');
    expect(got[0].body).toEqual({
      selection: { selectionType: 'managementSet', selectionMatch: '/' },
      operation: 'create',
      demandResponse: {
        name: 'apiDR',
        message: 'This is a DR!',
        event: { name: 'apiDR', type: 'useEndTime', startDate: '2027-07-01', startTime: '17:00:00', endDate: '2027-07-01', endTime: '19:00:00', heatHoldTemp: 790, coolHoldTemp: 790, isOptional: false, isTemperatureAbsolute: true, isTemperatureRelative: false },
      },
    });
    const event = await rt.api<{ ecobee: { demandResponseRef: string } }>('GET', `/dr/events/${eventId}`);
    expect(event.body.ecobee.demandResponseRef).toBe('abc123');
    const cancel = await rt.api<{ status: { code: number } }>('PUT', `/dr/events/${eventId}/ecobee/cancel`);
    expect(cancel.status).toBe(200);
    expect(got[1].body).toEqual({ operation: 'cancel', demandResponseRef: 'abc123' });
  });

  it('lifecycle: only scheduled or running events are sent, optional flag and relative fields, cancelling the event cancels every reference', async () => {
    let n = 0;
    const refs = () => `ref-${++n}`;
    server.removeAllListeners('request');
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body) as EcobeeRequest & { demandResponseRef?: string };
        got.push({ url: req.url!, auth: String(req.headers.authorization), body: parsed });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: { code: 0, message: '' }, ...(parsed.operation === 'create' ? { demandResponseRef: refs() } : {}) }));
      });
    });
    got.length = 0;
    const draft = (await rt.api<{ id: number }>('POST', '/dr/events', { name: 'Draft', interval_period: { start: '2027-07-02T21:00:00Z', duration: 'PT1H' }, payload: { type: 'SIMPLE', value: 1 }, status: 'draft' })).body.id;
    const refused = await rt.api<{ field: string }>('POST', `/dr/events/${draft}/ecobee`, valid);
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('status');
    expect(got).toHaveLength(0);

    const optional = (await rt.api<{ id: number }>('POST', '/dr/events', { name: 'Optional', interval_period: { start: '2027-07-02T21:00:00Z', duration: 'PT1H' }, payload: { type: 'SIMPLE', value: 1 }, mandatory: false, status: 'scheduled' })).body.id;
    expect((await rt.api('POST', `/dr/events/${optional}/ecobee`, { ...valid, temperature: 'relative', heat_hold_temp: -20, cool_hold_temp: 30 })).status).toBe(200);
    const ev = got[0].body.demandResponse.event;
    expect(ev).toMatchObject({ isOptional: true, isTemperatureRelative: true, isTemperatureAbsolute: false, heatRelativeTemp: -20, coolRelativeTemp: 30 });
    expect(ev).not.toHaveProperty('heatHoldTemp');
    expect(ev).not.toHaveProperty('coolHoldTemp');
    // re-sent: both references are kept
    expect((await rt.api('POST', `/dr/events/${optional}/ecobee`, valid)).status).toBe(200);
    const sent = await rt.api<{ ecobee: { demandResponseRefs: string[] } }>('GET', `/dr/events/${optional}`);
    expect(sent.body.ecobee.demandResponseRefs).toEqual(['ref-1', 'ref-2']);
    // cancelling the event in Switchyard cancels it at ecobee under each reference
    expect((await rt.api('PUT', `/dr/events/${optional}/cancel`)).status).toBe(200);
    expect(got.slice(2).map((g) => g.body)).toEqual([
      { operation: 'cancel', demandResponseRef: 'ref-1' },
      { operation: 'cancel', demandResponseRef: 'ref-2' },
    ]);
    // a cancelled event is not sent again
    expect((await rt.api('POST', `/dr/events/${optional}/ecobee`, valid)).status).toBe(400);
    expect(got).toHaveLength(4);
  });
});
