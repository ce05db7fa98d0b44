import { describe, expect, it } from 'vitest';
import { parseColour } from './glyphs';

describe('computed colours for the text overlay', () => {
  it('reads the forms getComputedStyle answers, and refuses paints it cannot draw', () => {
    expect(parseColour('rgb(34, 34, 34)')).toEqual([34, 34, 34, 1]);
    expect(parseColour('rgba(176, 0, 0, 0.75)')).toEqual([176, 0, 0, 0.75]);
    expect(parseColour('rgb(1 2 3 / 50%)')).toEqual([1, 2, 3, 0.5]);
    expect(parseColour('none')).toBeNull();
    expect(parseColour('url("#gradient") rgb(0, 0, 0)')).toBeNull();
  });
});
