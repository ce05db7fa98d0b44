import type { FieldDef } from '../types';

/** Field shapes that many MyEMS entities share. */
export const name: FieldDef = { name: 'name', type: 'string', required: true };
export const description: FieldDef = { name: 'description', type: 'text', maxLength: 10_000 };
export const ref = (field: string, entity: string, embed: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name: field,
  type: 'ref',
  ref: entity,
  embed,
  ...extra,
});
export const bool = (field: string, dflt = false): FieldDef => ({ name: field, type: 'boolean', default: dflt });
export const num = (field: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name: field, type: 'number', ...extra });
export const text = (field: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name: field, type: 'string', ...extra });
export const point = (field: string, embed?: string): FieldDef => ref(field, 'points', embed ?? field.replace(/_id$/, ''));
export const meter = (field: string, embed?: string): FieldDef => ref(field, 'meters', embed ?? field.replace(/_id$/, ''));
export const svgSource: FieldDef = { name: 'svg', type: 'text', help: 'SVG source; sanitized before it is shown' };
export const location: FieldDef[] = [
  { name: 'address', type: 'string' },
  { name: 'postal_code', type: 'string' },
  { name: 'latitude', type: 'number', min: -90, max: 90 },
  { name: 'longitude', type: 'number', min: -180, max: 180 },
];
