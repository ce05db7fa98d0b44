/**
 * Connection and address checks per protocol, used by the API (a 400 naming the field) and by the engine
 * (a point whose address is wrong reads as `bad` with the same message instead of crashing a scan).
 */
import { FormatError, parseRegisterFormat } from './modbus/codec';
import { compileVirtual, VirtualExpressionError } from './virtual';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isText = (v: unknown) => typeof v === 'string' && v.trim() !== '';

export const BACNET_OBJECT_TYPES = ['analogValue', 'analogInput', 'analogOutput', 'binaryValue', 'binaryInput', 'binaryOutput', 'multiStateValue', 'multiStateInput', 'multiStateOutput'] as const;
export const WAVEFORMS = ['sine', 'ramp', 'square', 'random_walk', 'constant'] as const;

function checkHostPort(c: Obj, defaultPort: boolean): string | null {
  if (!isText(c.host)) return 'connection.host must be a host name or IP address';
  if (!(defaultPort && c.port === undefined) && !isInt(c.port, 1, 65535)) return 'connection.port must be an integer from 1 to 65535';
  return null;
}

function checkCommon(c: Obj): string | null {
  if (c.timeout_ms !== undefined && !isInt(c.timeout_ms, 10, 60_000)) return 'connection.timeout_ms must be an integer from 10 to 60000';
  if (c.max_gap !== undefined && !isInt(c.max_gap, 0, 124)) return 'connection.max_gap must be an integer from 0 to 124';
  return null;
}

export function validateConnection(protocol: string, connection: unknown): string | null {
  if (!isObject(connection)) return 'connection must be a JSON object';
  const c = connection;
  const common = checkCommon(c);
  if (common) return common;
  switch (protocol) {
    case 'modbus-tcp':
      return checkHostPort(c, true);
    case 'modbus-rtu': {
      if (isText(c.host)) return checkHostPort(c, false);
      if (!isText(c.port)) return 'connection.port must be a serial port path (e.g. /dev/ttyUSB0), or give connection.host and a TCP port for RTU over TCP';
      if (c.baudrate !== undefined && !isInt(c.baudrate, 300, 921_600)) return 'connection.baudrate must be an integer from 300 to 921600';
      if (c.parity !== undefined && !['N', 'E', 'O', 'none', 'even', 'odd'].includes(String(c.parity))) return 'connection.parity must be N, E or O';
      if (c.bytesize !== undefined && !isInt(c.bytesize, 5, 8)) return 'connection.bytesize must be 5, 6, 7 or 8';
      if (c.stopbits !== undefined && !isInt(c.stopbits, 1, 2)) return 'connection.stopbits must be 1 or 2';
      return null;
    }
    case 'bacnet-ip':
      if (!isText(c.device_address) && !isText(c.host)) return 'connection.device_address must be the IP address of the BACnet device';
      if (c.port !== undefined && !isInt(c.port, 1, 65535)) return 'connection.port must be an integer from 1 to 65535';
      if (c.local_port !== undefined && !isInt(c.local_port, 0, 65535)) return 'connection.local_port must be an integer from 0 to 65535';
      return null;
    case 'mqtt':
      if (c.stale_after_seconds !== undefined && (typeof c.stale_after_seconds !== 'number' || c.stale_after_seconds <= 0)) return 'connection.stale_after_seconds must be a positive number';
      return checkHostPort(c, true);
    case 'simulation':
    case 'virtual':
    case 'manual':
      return null;
    case 'sparkplug':
      // made by the central server's Sparkplug host for each edge site (central/remote.ts)
      if (!isInt(c.host_config_id, 1, Number.MAX_SAFE_INTEGER)) return 'connection.host_config_id must be the id of a Sparkplug host';
      if (!isText(c.group_id)) return 'connection.group_id must be the Sparkplug group id';
      if (!isText(c.edge_node_id)) return 'connection.edge_node_id must be the Sparkplug edge node id';
      return null;
    default:
      return `protocol ${protocol} is not supported`;
  }
}

export function validateAddress(protocol: string, address: unknown, isVirtual: boolean): string | null {
  if (!isObject(address)) return 'address must be a JSON object';
  const a = address;
  if (isVirtual || protocol === 'virtual') {
    try {
      compileVirtual(a);
      return null;
    } catch (e) {
      if (e instanceof VirtualExpressionError) return e.message;
      throw e;
    }
  }
  switch (protocol) {
    case 'modbus-tcp':
    case 'modbus-rtu': {
      if (!isInt(a.slave_id, 0, 255)) return 'address.slave_id must be an integer from 0 to 255';
      if (![1, 2, 3, 4].includes(a.function_code as number)) return 'address.function_code must be 1, 2, 3 or 4';
      if (!isInt(a.offset, 0, 65535)) return 'address.offset must be an integer from 0 to 65535 (0-based)';
      if (a.function_code === 3 || a.function_code === 4) {
        try {
          const fmt = parseRegisterFormat(a);
          if ((a.offset as number) + fmt.registers > 65536) return 'address.offset plus the registers of the format go past 65535';
        } catch (e) {
          if (e instanceof FormatError) return e.message;
          throw e;
        }
      } else if (a.number_of_registers !== undefined && a.number_of_registers !== 1) {
        return 'address.number_of_registers must be 1 for coils and discrete inputs';
      }
      return null;
    }
    case 'bacnet-ip':
      if (!BACNET_OBJECT_TYPES.includes(a.object_type as (typeof BACNET_OBJECT_TYPES)[number])) return `address.object_type must be one of ${BACNET_OBJECT_TYPES.join(', ')}`;
      if (!isInt(a.object_id, 0, 4_194_303)) return 'address.object_id must be an integer from 0 to 4194303';
      if (a.property_name !== undefined && a.property_name !== 'presentValue') return 'address.property_name must be presentValue';
      if (a.property_array_index !== undefined && a.property_array_index !== null && !isInt(a.property_array_index, 0, 4_294_967_294)) return 'address.property_array_index must be null or a non-negative integer';
      return null;
    case 'mqtt':
      if (!isText(a.topic)) return 'address.topic must be the MQTT topic to subscribe to';
      if (/[+#]/.test(String(a.topic))) return 'address.topic must not contain wildcards (+ or #)';
      if (a.json_path !== undefined && typeof a.json_path !== 'string') return 'address.json_path must be a path such as "data.power" or "values[0]"';
      return null;
    case 'simulation':
      if (!WAVEFORMS.includes(a.waveform as (typeof WAVEFORMS)[number])) return `address.waveform must be one of ${WAVEFORMS.join(', ')}`;
      for (const k of ['amplitude', 'offset', 'period_s', 'min', 'max', 'step']) {
        if (a[k] !== undefined && (typeof a[k] !== 'number' || !Number.isFinite(a[k]))) return `address.${k} must be a number`;
      }
      if (a.period_s !== undefined && (a.period_s as number) <= 0) return 'address.period_s must be greater than 0';
      return null;
    case 'virtual':
      return 'points of a virtual data source must have is_virtual true';
    case 'sparkplug':
      if (!isText(a.metric)) return 'address.metric must be the Sparkplug metric name';
      if (a.device !== undefined && typeof a.device !== 'string') return 'address.device must be the Sparkplug device id (empty for the edge node\'s own metrics)';
      return null;
    default:
      return null;
  }
}
