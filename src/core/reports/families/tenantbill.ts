/**
 * The tenant bill (MyEMS tenantbill): energy and cost per energy category of a tenant over the reporting
 * period (usually a month), with the tenant's lease and contact details.
 */
import { query, spanText, sum, type BuildCtx } from '../common';
import type { Built } from '../doc';

export function buildTenantBill(ctx: BuildCtx): Built {
  const t = ctx.subject.row;
  const contact = (t.contact_id ? ctx.store.db.prepare('SELECT name, email, phone FROM contacts WHERE id = ?').get(t.contact_id) : undefined) as { name: string; email: string; phone: string } | undefined;
  const r = query(ctx, ctx.params.reporting);
  const subtotalsInput = r.categories.map((s) => sum(s.values));
  const subtotalsCost = r.categories.map((s) => sum(s.cost));
  const total = sum(subtotalsCost);
  return {
    json: {
      tenant: { id: t.id, name: t.name, buildings: t.buildings, floors: t.floors, rooms: t.rooms, lease_number: t.lease_number, email: contact?.email ?? null, phone: contact?.phone ?? null },
      reporting_period: {
        names: r.categories.map((s) => s.name),
        energy_category_ids: r.categories.map((s) => s.id),
        units: r.categories.map((s) => s.unit),
        subtotals_input: subtotalsInput,
        subtotals_cost: subtotalsCost,
        total_cost: total,
        currency_unit: ctx.currency,
        missing_hours: r.categories.map((s) => s.missingHours.reduce((a, x) => a + x, 0)),
      },
      parameters: { names: [], timestamps: [], values: [] },
    },
    doc: {
      title: 'Tenant Bill',
      subjectLabel: 'Tenant',
      subjectName: String(t.name),
      periodType: null,
      reporting: spanText(ctx.params.reporting),
      base: null,
      timezone: ctx.params.zone,
      figures: [{ label: 'Amount due', unit: ctx.currency, value: total }],
      charts: [],
      tables: [
        { title: 'Tenant', columns: ['Lease number', 'Buildings', 'Floors', 'Rooms', 'E-mail', 'Phone'], rows: [[String(t.lease_number ?? ''), String(t.buildings ?? ''), String(t.floors ?? ''), String(t.rooms ?? ''), contact?.email ?? null, contact?.phone ?? null]] },
        { title: 'Bill', columns: ['Energy category', 'Consumption', 'Unit', `Cost (${ctx.currency})`], rows: [...r.categories.map((s, i) => [s.name, subtotalsInput[i], s.unit, subtotalsCost[i]]), ['Total', null, null, total]] },
      ],
      notes: [],
    },
  };
}
