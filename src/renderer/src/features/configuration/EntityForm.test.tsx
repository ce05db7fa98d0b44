// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EntityForm } from './EntityForm';
import { type EntityMeta, toBody } from './meta';

const entity: EntityMeta = {
  key: 'meters',
  path: 'meters',
  label: 'Meter',
  group: 'Metering',
  nameField: 'name',
  nestedUnder: null,
  relations: [],
  children: [],
  export: true,
  import: true,
  clone: true,
  fields: [
    { name: 'name', type: 'string', label: 'Name', required: true, nullable: false },
    { name: 'hourly_high_limit', type: 'number', label: 'Hourly high limit', required: false, nullable: true },
    { name: 'is_counted', type: 'boolean', label: 'Is counted', required: false, nullable: true, default: true },
    { name: 'kind', type: 'enum', label: 'Kind', required: false, nullable: true, values: ['a', 'b'] },
    { name: 'expression', type: 'json', label: 'Expression', required: false, nullable: true },
    { name: 'uuid', type: 'string', label: 'UUID', required: false, nullable: true, readOnly: true },
  ],
};

afterEach(() => vi.unstubAllGlobals());

describe('generated entity form', () => {
  it('turns field values into the typed body and refuses what the browser can tell', () => {
    expect(toBody(entity, { name: ' M1 ', hourly_high_limit: '12.5', is_counted: false, kind: 'b', expression: '{"a":1}' })).toEqual({ name: 'M1', hourly_high_limit: 12.5, is_counted: false, kind: 'b', expression: { a: 1 } });
    expect(() => toBody(entity, { name: '', hourly_high_limit: '', is_counted: true, kind: '', expression: '' })).toThrow(/Name is required/);
    expect(() => toBody(entity, { name: 'x', hourly_high_limit: 'abc', is_counted: true, kind: '', expression: '' })).toThrow(/must be a number/);
    expect(() => toBody(entity, { name: 'x', hourly_high_limit: '', is_counted: true, kind: '', expression: '{' })).toThrow(/not valid JSON/);
  });

  it('renders an input per type and shows the API validation message at its field', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ title: 'API.BAD_REQUEST', description: 'API.INVALID_HOURLY_HIGH_LIMIT', message: 'hourly_high_limit must be >= 0', field: 'hourly_high_limit' }), { status: 400 }));
    vi.stubGlobal('fetch', fetchMock);
    const saved = vi.fn();
    render(<EntityForm entity={entity} row={null} metaOf={() => undefined} basePath="/meters" onSaved={saved} onCancel={() => undefined} />);
    expect((screen.getByLabelText(/Is counted/) as HTMLInputElement).type).toBe('checkbox');
    expect((screen.getByLabelText(/Hourly high limit/) as HTMLInputElement).type).toBe('number');
    expect(screen.getByLabelText(/Kind/).tagName).toBe('SELECT');
    expect(screen.getByLabelText(/Expression/).tagName).toBe('TEXTAREA');
    expect(screen.queryByLabelText(/UUID/)).toBeNull();
    fireEvent.change(screen.getByLabelText(/Name/), { target: { value: 'Main meter' } });
    fireEvent.change(screen.getByLabelText(/Hourly high limit/), { target: { value: '-1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('hourly_high_limit must be >= 0'));
    expect(screen.getByRole('alert').getAttribute('data-field')).toBe('hourly_high_limit');
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body))).toEqual({ data: { name: 'Main meter', hourly_high_limit: -1, is_counted: true, kind: null, expression: null } });
    expect(saved).not.toHaveBeenCalled();
  });
});
