import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters, FormatError, parseRegisterFormat } from '../../src/core/acquisition/modbus/codec';
import { MAX_BITS, MAX_REGISTERS, planReads, splitBlock, type PlannedItem } from '../../src/core/acquisition/modbus/planner';
import { compileVirtual, translatePiecewise } from '../../src/core/acquisition/virtual';
import { validateAddress, validateConnection } from '../../src/core/acquisition/validation';

// 123.456 as float32 is 0x42F6E979; ABCD = 42F6 E979, CDAB = E979 42F6, BADC = F642 79E9, DCBA = 79E9 F642
const FLOAT_WORDS: Record<string, number[]> = { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] };

describe('Modbus register formats', () => {
  for (const [order, words] of Object.entries(FLOAT_WORDS)) {
    it(`float32 ${order} decodes and encodes`, () => {
      const fmt = parseRegisterFormat({ format: 'float32', word_order: order });
      expect(decodeRegisters(words, 0, fmt)).toBeCloseTo(123.456, 3);
      expect(encodeRegisters(123.456, fmt)).toEqual(words);
    });
  }

  const vectors: [Record<string, unknown>, number[], number][] = [
    [{ format: '>h' }, [0xfff6], -10],
    [{ format: '>H' }, [0xfff6], 65526],
    [{ format: '<h' }, [0xf6ff], -10],
    [{ format: '>l' }, [0xffff, 0xfff6], -10],
    [{ format: '>L' }, [0x0001, 0xe240], 123456],
    [{ format: '<L' }, [0x40e2, 0x0100], 123456],
    [{ format: '>f' }, [0x42f6, 0xe979], 123.456],
    [{ format: '<f' }, [0x79e9, 0xf642], 123.456],
    [{ format: '>f', byte_swap: true }, [0xf642, 0x79e9], 123.456],
    [{ format: '>q' }, [0xffff, 0xffff, 0xffff, 0xfff6], -10],
    [{ format: '>Q' }, [0x0000, 0x0000, 0x0001, 0xe240], 123456],
    [{ format: '>d' }, [0x405e, 0xdd2f, 0x1a9f, 0xbe77], 123.456],
    [{ data_format: 'float' }, [0x42f6, 0xe979], 123.456],
    [{ format: 'int16' }, [0x8000], -32768],
    [{ format: 'uint16' }, [0x8000], 32768],
    [{ format: 'int32', word_order: 'CDAB' }, [0xfff6, 0xffff], -10],
    [{ format: 'uint32', word_order: 'DCBA' }, [0x40e2, 0x0100], 123456],
    [{ format: 'int64', word_order: 'ABCD' }, [0xffff, 0xffff, 0xffff, 0xfff6], -10],
    [{ format: 'float64', word_order: 'DCBA' }, [0x77be, 0x9f1a, 0x2fdd, 0x5e40], 123.456],
  ];
  for (const [address, words, value] of vectors) {
    it(`${JSON.stringify(address)} = ${value}`, () => {
      const fmt = parseRegisterFormat(address);
      expect(fmt.registers).toBe(words.length);
      expect(decodeRegisters(words, 0, fmt)).toBeCloseTo(value, 4);
      expect(decodeRegisters(encodeRegisters(value, fmt), 0, fmt)).toBeCloseTo(value, 4);
    });
  }

  it('refuses unknown formats, a wrong register count and values that do not fit', () => {
    expect(() => parseRegisterFormat({ format: '>x' })).toThrow(FormatError);
    expect(() => parseRegisterFormat({ format: '>f', number_of_registers: 1 })).toThrow(/number_of_registers/);
    expect(() => parseRegisterFormat({ format: 'int16', word_order: 'XYZW' })).toThrow(/word_order/);
    expect(() => encodeRegisters(70000, parseRegisterFormat({ format: 'uint16' }))).toThrow(/does not fit/);
  });
});

describe('read planner', () => {
  const item = (key: number, start: number, length = 2, fc: 1 | 2 | 3 | 4 = 3, slave = 1): PlannedItem => ({ key, slave, fc, start, length });

  it('merges contiguous and near ranges per slave and function code', () => {
    const blocks = planReads([item(1, 0), item(2, 2), item(3, 10), item(4, 40), item(5, 0, 2, 4), item(6, 0, 2, 3, 2)], { maxGap: 10 });
    expect(blocks.map((b) => [b.slave, b.fc, b.start, b.length, b.items.length])).toEqual([
      [1, 3, 0, 12, 3],
      [1, 3, 40, 2, 1],
      [1, 4, 0, 2, 1],
      [2, 3, 0, 2, 1],
    ]);
    expect(planReads([item(1, 0), item(2, 5)], { maxGap: 0 })).toHaveLength(2);
  });

  it('never exceeds 125 registers or 2000 bits in one request', () => {
    const regs = planReads(Array.from({ length: 200 }, (_, i) => item(i, i * 2)));
    expect(Math.max(...regs.map((b) => b.length))).toBeLessThanOrEqual(MAX_REGISTERS);
    expect(regs.reduce((n, b) => n + b.items.length, 0)).toBe(200);
    const bits = planReads(Array.from({ length: 5000 }, (_, i) => item(i, i, 1, 1)));
    expect(Math.max(...bits.map((b) => b.length))).toBeLessThanOrEqual(MAX_BITS);
    expect(bits).toHaveLength(3);
  });

  it('splits a failed block between its points, never through one', () => {
    const [block] = planReads([item(1, 0), item(2, 2), item(3, 4)]);
    const [a, b] = splitBlock(block)!;
    expect([a.start, a.length, a.items.length]).toEqual([0, 4, 2]);
    expect([b.start, b.length, b.items.length]).toEqual([4, 2, 1]);
    expect(splitBlock(b)).toBeNull();
  });
});

describe('virtual points and address validation', () => {
  it('evaluates expressions and the piecewise form, never JavaScript', () => {
    expect(translatePiecewise('Piecewise((x1, x1 > 0), (0, True))')).toBe('((x1 > 0) ? (x1) : ((true) ? (0) : NaN))');
    const v = compileVirtual({ expression: 'x1 * 2 + x2', substitutions: { x1: 5, x2: 6 } });
    expect([...v.inputs.values()]).toEqual([5, 6]);
    expect(v.evaluate(new Map([['x1', 2], ['x2', 1]]))).toBe(5);
    expect(() => compileVirtual({ expression: 'process.exit()', substitutions: {} })).toThrow();
    expect(() => compileVirtual({ expression: 'x1 = 3', substitutions: { x1: 1 } })).toThrow(/assign/);
  });

  it('names the field at fault', () => {
    expect(validateAddress('modbus-tcp', { slave_id: 1, function_code: 7, offset: 0 }, false)).toMatch(/^address\.function_code/);
    expect(validateAddress('modbus-tcp', { slave_id: 1, function_code: 3, offset: -1 }, false)).toMatch(/^address\.offset/);
    expect(validateAddress('modbus-tcp', { slave_id: 1, function_code: 3, offset: 0, format: '>f' }, false)).toBeNull();
    expect(validateAddress('bacnet-ip', { object_type: 'analogValue', object_id: 'x' }, false)).toMatch(/^address\.object_id/);
    expect(validateAddress('mqtt', { topic: 'a/#' }, false)).toMatch(/wildcards/);
    expect(validateAddress('simulation', { waveform: 'noise' }, false)).toMatch(/^address\.waveform/);
    expect(validateAddress('modbus-tcp', {}, true)).toMatch(/^address\.expression/);
    expect(validateConnection('modbus-tcp', { host: '' })).toMatch(/^connection\.host/);
    expect(validateConnection('modbus-rtu', { port: '/dev/ttyUSB0', baudrate: 1 })).toMatch(/^connection\.baudrate/);
    expect(validateConnection('mqtt', { host: '127.0.0.1', port: 70000 })).toMatch(/^connection\.port/);
  });
});
