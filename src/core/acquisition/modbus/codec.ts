/**
 * Modbus register decoding and encoding.
 *
 * Two ways to describe a value, both accepted in a point's address:
 * - MyEMS's `format`: a Python struct format (`>f`, `<H`, `>l`, `>q`, `>d`, `>2H` ...), optionally with
 *   `byte_swap: true` (swaps the two bytes inside every 16-bit register before unpacking). The spec's own
 *   example writes `data_format: "float"`, which is accepted as an alias.
 * - a named type (`int16 uint16 int32 uint32 int64 uint64 float32 float64`) with a word order
 *   `ABCD` (big-endian, the Modbus default), `CDAB` (word swap), `BADC` (byte swap) or `DCBA` (little-endian).
 */

export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';
export type NumericType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

export interface RegisterFormat {
  type: NumericType;
  /** the byte order of the whole value as it sits in consecutive registers */
  order: WordOrder;
  /** registers the value occupies */
  registers: number;
}

const SIZE: Record<NumericType, number> = { int16: 1, uint16: 1, int32: 2, uint32: 2, int64: 4, uint64: 4, float32: 2, float64: 4 };
const STRUCT: Record<string, NumericType> = { h: 'int16', H: 'uint16', i: 'int32', I: 'uint32', l: 'int32', L: 'uint32', q: 'int64', Q: 'uint64', f: 'float32', d: 'float64' };
const ALIASES: Record<string, NumericType> = {
  float: 'float32',
  double: 'float64',
  short: 'int16',
  ushort: 'uint16',
  int: 'int32',
  uint: 'uint32',
  long: 'int32',
  ulong: 'uint32',
  longlong: 'int64',
  ulonglong: 'uint64',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  float32: 'float32',
  float64: 'float64',
};

export class FormatError extends Error {}

/**
 * Reads the format of a Modbus register point from its address object. Throws FormatError naming the field.
 */
export function parseRegisterFormat(address: Record<string, unknown>): RegisterFormat {
  const raw = address.format ?? address.data_format ?? 'uint16';
  if (typeof raw !== 'string' || raw.trim() === '') throw new FormatError('address.format must be a string such as ">f" or "float32"');
  const text = raw.trim();
  const struct = /^([@=<>!])?(\d*)([hHiIlLqQfd])$/.exec(text);
  let type: NumericType;
  let order: WordOrder;
  if (struct) {
    if (struct[2] && struct[2] !== '1') throw new FormatError(`address.format "${text}": repeat counts are not supported; one value per point`);
    type = STRUCT[struct[3]];
    // Python's default ('@', '=' or none) is native order: little-endian on the machines MyEMS runs on
    const little = struct[1] === '<' || struct[1] === '@' || struct[1] === '=' || struct[1] === undefined;
    order = little ? 'DCBA' : 'ABCD';
    if (address.byte_swap === true) order = swapBytes(order);
  } else {
    const named = ALIASES[text.toLowerCase()];
    if (!named) {
      throw new FormatError(`address.format "${text}" is not known: use a struct format (>f <f >h >H >l >L >q >Q >d) or one of int16 uint16 int32 uint32 int64 uint64 float32 float64`);
    }
    type = named;
    const wo = address.word_order ?? address.byte_order ?? 'ABCD';
    if (typeof wo !== 'string' || !['ABCD', 'CDAB', 'BADC', 'DCBA'].includes(wo.toUpperCase())) {
      throw new FormatError('address.word_order must be ABCD, CDAB, BADC or DCBA');
    }
    order = wo.toUpperCase() as WordOrder;
    if (address.byte_swap === true) order = swapBytes(order);
  }
  const registers = SIZE[type];
  const declared = address.number_of_registers;
  if (declared !== undefined && declared !== registers) {
    throw new FormatError(`address.number_of_registers is ${String(declared)} but format ${text} needs ${registers}`);
  }
  return { type, order, registers };
}

/** byte_swap: swap the two bytes inside each register. */
function swapBytes(order: WordOrder): WordOrder {
  return ({ ABCD: 'BADC', BADC: 'ABCD', CDAB: 'DCBA', DCBA: 'CDAB' } as const)[order];
}

/**
 * Puts the registers' bytes into big-endian (ABCD) order for the given layout.
 * Registers arrive as 16-bit numbers, high byte first on the wire.
 */
function toBigEndian(regs: ArrayLike<number>, offset: number, count: number, order: WordOrder, out: Uint8Array): void {
  for (let i = 0; i < count; i++) {
    const r = regs[offset + i] & 0xffff;
    out[i * 2] = r >> 8;
    out[i * 2 + 1] = r & 0xff;
  }
  const n = count * 2;
  if (order === 'ABCD') return;
  if (order === 'DCBA') {
    out.subarray(0, n).reverse();
    return;
  }
  if (order === 'BADC') {
    for (let i = 0; i < n; i += 2) [out[i], out[i + 1]] = [out[i + 1], out[i]];
    return;
  }
  // CDAB: registers in reverse order, bytes inside each register as on the wire
  for (let i = 0, j = count - 1; i < j; i++, j--) {
    const a0 = out[i * 2];
    const a1 = out[i * 2 + 1];
    out[i * 2] = out[j * 2];
    out[i * 2 + 1] = out[j * 2 + 1];
    out[j * 2] = a0;
    out[j * 2 + 1] = a1;
  }
}

const scratch = new Uint8Array(8);
const view = new DataView(scratch.buffer);

/** Decodes one value starting at regs[offset]. 64-bit integers come back as numbers (exact up to 2^53). */
export function decodeRegisters(regs: ArrayLike<number>, offset: number, fmt: RegisterFormat): number {
  toBigEndian(regs, offset, fmt.registers, fmt.order, scratch);
  switch (fmt.type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'int64':
      return Number(view.getBigInt64(0));
    case 'uint64':
      return Number(view.getBigUint64(0));
    case 'float32':
      return view.getFloat32(0);
    case 'float64':
      return view.getFloat64(0);
  }
}

/** Encodes a value into registers for a write (function code 6 or 16). Integers are rounded and range-checked. */
export function encodeRegisters(value: number, fmt: RegisterFormat): number[] {
  const bytes = new Uint8Array(8);
  const dv = new DataView(bytes.buffer);
  const int = (min: number, max: number) => {
    const v = Math.round(value);
    if (v < min || v > max) throw new FormatError(`${value} does not fit in ${fmt.type}`);
    return v;
  };
  switch (fmt.type) {
    case 'int16':
      dv.setInt16(0, int(-32768, 32767));
      break;
    case 'uint16':
      dv.setUint16(0, int(0, 65535));
      break;
    case 'int32':
      dv.setInt32(0, int(-2147483648, 2147483647));
      break;
    case 'uint32':
      dv.setUint32(0, int(0, 4294967295));
      break;
    case 'int64':
      dv.setBigInt64(0, BigInt(int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)));
      break;
    case 'uint64':
      dv.setBigUint64(0, BigInt(int(0, Number.MAX_SAFE_INTEGER)));
      break;
    case 'float32':
      dv.setFloat32(0, value);
      break;
    case 'float64':
      dv.setFloat64(0, value);
      break;
  }
  // bytes are big-endian (ABCD); lay them out in the point's order. Every order is its own inverse.
  const regs: number[] = [];
  for (let i = 0; i < fmt.registers; i++) regs.push((bytes[i * 2] << 8) | bytes[i * 2 + 1]);
  const out = new Uint8Array(8);
  toBigEndian(regs, 0, fmt.registers, fmt.order, out);
  const result: number[] = [];
  for (let i = 0; i < fmt.registers; i++) result.push((out[i * 2] << 8) | out[i * 2 + 1]);
  return result;
}
