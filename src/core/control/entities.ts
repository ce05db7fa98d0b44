/**
 * Control configuration, declared through the entity registry (tables, validation, routes and forms come with it):
 * - `controlpoints`: per controlled point, what it falls back to when no request is left, its ramp and deadband;
 * - `controlschedules`: time-of-day values for a point on a working calendar's working or non-working days;
 * - `storagecontrols`: one per storage system (an energy storage container or a microgrid battery): its points and
 *   the settings of its controllers (SOC limits and reserve, peak shaving, schedules, time of use).
 */
import type { EntityDef, FieldDef } from '../model/types';
import { bool, description, name, num, ref } from '../model/entities/fields';

const pointRef = (field: string, required: boolean, help: string): FieldDef => ({ ...ref(field, 'points', field.replace(/_id$/, ''), { required, onDelete: required ? 'cascade' : 'setNull' }), help });
const zone = ref('timezone_id', 'timezones', 'timezone', { onDelete: 'setNull', help: 'the site\'s zone for times of day (DST honoured); empty: the installation\'s zone' });

export const controlpoints: EntityDef = {
  key: 'controlpoints',
  path: 'controlpoints',
  table: 'control_points',
  label: 'Controlled Point',
  group: 'Control',
  uuid: false,
  nameField: null,
  // one setting per point: a copy or a re-import of a row would be the same point's setting twice
  clone: false,
  import: false,
  fields: [
    { ...pointRef('point_id', true, 'the point the arbiter writes'), unique: true },
    { name: 'fallback', type: 'enum', values: ['leave', 'value'], default: 'leave', help: 'when no request is left: leave the point as it is, or write fallback_value' },
    num('fallback_value', { requiredWhen: { test: (r) => r.fallback === 'value', because: 'when fallback is "value"' }, help: 'the safe value written when no request is left' }),
    num('ramp_rate', { min: 0, help: 'at most this change per second of the written value (empty: no limit)' }),
    num('deadband', { min: 0, default: 0, help: 'a device value within this of the target is not rewritten' }),
    description,
  ],
};

export const controlschedules: EntityDef = {
  key: 'controlschedules',
  path: 'controlschedules',
  table: 'control_schedules',
  label: 'Control Schedule',
  group: 'Control',
  nameUnique: false,
  fields: [
    name,
    pointRef('point_id', true, 'the point the schedule writes'),
    ref('working_calendar_id', 'workingcalendars', 'working_calendar', { onDelete: 'setNull', help: 'the calendar whose non-working days decide day_type' }),
    { name: 'day_type', type: 'enum', values: ['all', 'working', 'nonworking'], default: 'all', help: 'on which days of the calendar the schedule applies' },
    { name: 'start_time_of_day', type: 'time', required: true },
    {
      name: 'end_time_of_day',
      type: 'time',
      required: true,
      check: (v, row) => (row.start_time_of_day && v && String(v) <= String(row.start_time_of_day) ? 'end_time_of_day must be after start_time_of_day' : null),
    },
    num('value', { required: true }),
    { name: 'priority', type: 'integer', min: 0, max: 99, default: 0, help: 'orders schedules on the same point (higher wins); all sit in the schedule band' },
    zone,
    bool('is_active', true),
    description,
  ],
};

const pct = (field: string, dflt: number, help: string): FieldDef => num(field, { min: 0, max: 100, default: dflt, help });

export const storagecontrols: EntityDef = {
  key: 'storagecontrols',
  path: 'storagecontrols',
  table: 'storage_controls',
  label: 'Storage Controller',
  group: 'Control',
  fields: [
    name,
    ref('energy_storage_container_id', 'energystoragecontainers', 'energy_storage_container', { onDelete: 'cascade', help: 'the container whose schedules apply' }),
    ref('microgrid_id', 'microgrids', 'microgrid', { onDelete: 'cascade', help: 'the microgrid whose schedules apply' }),
    pointRef('setpoint_point_id', true, 'battery power setpoint, kW, positive discharges'),
    pointRef('soc_point_id', true, 'state of charge, %'),
    pointRef('battery_power_point_id', false, 'measured battery power, kW, positive discharging (else the setpoint\'s value)'),
    pointRef('grid_power_point_id', false, 'grid connection power, kW, positive imports (peak shaving)'),
    zone,
    ref('tariff_id', 'tariffs', 'tariff', { onDelete: 'setNull', help: 'time-of-use tariff (else the container\'s cost center tariff)' }),
    num('rated_power', { required: true, min: 0, help: 'kW, the most the battery charges or discharges' }),
    pct('soc_floor', 10, 'no writer discharges below this SOC'),
    { ...pct('soc_ceiling', 95, 'no writer charges above this SOC'), check: (v, row) => (v !== null && v !== undefined && Number(v) <= Number(row.soc_floor ?? 10) ? 'soc_ceiling must be above soc_floor' : null) },
    pct('backup_reserve', 0, 'SOC kept for backup: no writer discharges below it (it raises soc_floor)'),
    bool('peak_shaving', false),
    num('import_limit', { min: 0, requiredWhen: { test: (r) => r.peak_shaving === true || r.peak_shaving === 1, because: 'when peak_shaving is on' }, help: 'kW; discharge to keep grid import at or below this' }),
    num('recharge_below', {
      min: 0,
      help: 'kW; recharge while the import without the battery is below this',
      check: (v, row) => (v !== null && v !== undefined && row.import_limit !== null && row.import_limit !== undefined && Number(v) >= Number(row.import_limit) ? 'recharge_below must be below import_limit' : null),
    }),
    bool('schedules', false),
    bool('time_of_use', false),
    num('tou_charge_power', { min: 0, help: 'kW charged in cheap periods (default: rated_power)' }),
    num('tou_discharge_power', { min: 0, help: 'kW discharged in expensive periods (default: rated_power)' }),
    num('tou_charge_at_or_below', { help: 'price at or below which time-of-use charges (default: the tariff\'s lowest price)' }),
    num('tou_discharge_at_or_above', { help: 'price at or above which time-of-use discharges (default: the tariff\'s highest price)' }),
    description,
  ],
};

export const controlEntities: EntityDef[] = [controlpoints, controlschedules, storagecontrols];
