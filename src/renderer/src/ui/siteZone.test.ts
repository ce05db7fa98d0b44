import { describe, expect, it } from 'vitest';
import { siteZoneOf } from './siteZone';

const zones = [
  { id: 56, name: 'China Standard Time', iana_name: 'Asia/Shanghai' },
  { id: 90, name: 'W. Europe Standard Time', iana_name: 'Europe/Berlin' },
  { id: 1, name: 'UTC', iana_name: 'Etc/UTC' },
];

describe('the site time zone', () => {
  it('is the one site below MyEMS root space, not the root container zone', () => {
    const spaces = [
      { id: 1, parent_space_id: null, timezone: { id: 1 } },
      { id: 2, parent_space_id: 1, timezone: { id: 90 } },
      { id: 3, parent_space_id: 2, timezone: { id: 56 } },
      { id: 4, parent_space_id: 2, timezone: { id: 56 } },
    ];
    expect(siteZoneOf(spaces, zones)).toBe('Europe/Berlin');
  });
  it('is the root zone when several sites share the installation, and maps MyEMS zone names to IANA', () => {
    const spaces = [
      { id: 1, parent_space_id: null, timezone_id: 56 },
      { id: 2, parent_space_id: 1, timezone_id: 90 },
      { id: 3, parent_space_id: 1, timezone_id: 1 },
    ];
    expect(siteZoneOf(spaces, zones)).toBe('Asia/Shanghai');
  });
  it('is unknown without spaces or with a zone that is not valid', () => {
    expect(siteZoneOf([], zones)).toBeNull();
    expect(siteZoneOf([{ id: 1, parent_space_id: null, timezone: { id: 7, name: 'Nowhere/Land' } }], zones)).toBeNull();
  });
});
