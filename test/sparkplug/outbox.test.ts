/**
 * The store-and-forward outbox on a real SQLite store: order kept, bounded by size (oldest dropped first) and by
 * age, every dropped value counted, removal only of what was sent, and the bdSeq stored and wrapping at 255.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/core/store/store';
import { Outbox, sparkplugMigrations, type StoredPointValue } from '../../src/core/sparkplug/outbox';

describe('Sparkplug outbox', () => {
  let dir: string;
  let store: Store;
  let box: Outbox;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-spb-outbox-'));
    store = openStore(dir, [sparkplugMigrations]);
    box = new Outbox(store);
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const values = (from: number, n: number): StoredPointValue[] => Array.from({ length: n }, (_, i) => [7, from + i, 1_000 + from + i, 'good']);

  it('keeps messages in order and removes only what was sent', () => {
    for (let k = 0; k < 5; k++) box.append(1, [{ dataSourceId: 3, values: values(k * 10, 10) }], 1e9);
    box.append(2, [{ dataSourceId: 3, values: values(500, 1) }], 1e9);
    const rows = box.peek(1, 3);
    expect(rows.map((r) => (JSON.parse(r.body as string) as StoredPointValue[])[0][1])).toEqual([0, 10, 20]);
    box.remove(1, rows.slice(0, 2).map((r) => r.id));
    expect(box.peek(1, 10).map((r) => (JSON.parse(r.body as string) as StoredPointValue[])[0][1])).toEqual([20, 30, 40]);
    expect(box.stats(1)).toMatchObject({ rows: 3, values: 30, dropped: 0 });
    expect(box.stats(2)).toMatchObject({ rows: 1, values: 1 });
  });

  it('drops the oldest messages beyond the size bound and counts their values', () => {
    // messages of equal size (three-digit values)
    const one = JSON.stringify(values(100, 10)).length;
    for (let k = 0; k < 10; k++) box.append(1, [{ dataSourceId: 3, values: values(100 + k * 10, 10) }], one * 4 + 5);
    const s = box.stats(1);
    expect(s.rows).toBe(4);
    expect(s.bytes).toBeLessThanOrEqual(one * 4 + 5);
    expect(s.dropped).toBe(60);
    expect((JSON.parse(box.peek(1, 1)[0].body as string) as StoredPointValue[])[0][1]).toBe(160);
    // the size survives a restart of the process (recomputed from the table)
    expect(new Outbox(store).stats(1).bytes).toBe(s.bytes);
  });

  it('drops messages older than the age bound', () => {
    box.append(1, [{ dataSourceId: 3, values: values(0, 4) }], 1e9);
    store.db.prepare('UPDATE sparkplug_outbox SET created_at = created_at - 7200000').run();
    box.append(1, [{ dataSourceId: 3, values: values(4, 2) }], 1e9);
    expect(box.expire(1, 3_600_000)).toBe(4);
    expect(box.stats(1)).toMatchObject({ rows: 1, values: 2, dropped: 4 });
  });

  it('stores the bdSeq before each session and wraps it after 255', () => {
    expect(box.nextBdSeq(1)).toBe(0);
    expect(box.nextBdSeq(1)).toBe(1);
    store.db.prepare('UPDATE sparkplug_state SET bd_seq = 255 WHERE node_id = 1').run();
    expect(new Outbox(store).nextBdSeq(1)).toBe(0);
  });

  it('writes the outbox and the event cursors together or not at all', () => {
    expect(() =>
      box.append(1, [{ dataSourceId: null, values: [['Audit/Entry', 'String', '{}', 1]] }], 1e9, () => {
        box.setCursors(1, { audit_cursor: 5 });
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(box.stats(1).rows).toBe(0);
    expect(box.state(1).audit_cursor).toBeNull();
  });
});
