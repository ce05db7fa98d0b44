// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { applyAlarmBlink } from './logic';

describe('blinking symbols of unacknowledged alarms', () => {
  it('blinks the bound symbols of points with unacknowledged alarms and stops when acknowledged', () => {
    document.body.innerHTML = `<svg>
      <g id="brk" data-point="7" data-binding="state:0=open,1=closed|blink:alarm"><rect/></g>
      <text id="val" data-point="7" data-binding="text:format=0.0;units=kW"></text>
      <g id="plain" data-point="8"></g>
      <g id="other" data-point="9" data-binding="blink:alarm"></g>
    </svg>`;
    expect(applyAlarmBlink(document, new Set([7, 8]))).toBe(2);
    expect(document.getElementById('brk')!.classList.contains('sy-alarm-blink')).toBe(true);
    expect(document.getElementById('val')!.classList.contains('sy-alarm-blink')).toBe(false); // its binding does not ask to blink
    expect(document.getElementById('plain')!.classList.contains('sy-alarm-blink')).toBe(true);
    expect(document.getElementById('other')!.classList.contains('sy-alarm-blink')).toBe(false);
    expect(applyAlarmBlink(document, new Set())).toBe(0);
    expect(document.querySelectorAll('.sy-alarm-blink')).toHaveLength(0);
  });
});
