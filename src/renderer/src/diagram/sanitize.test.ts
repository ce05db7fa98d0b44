// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { sanitizeSvg } from './sanitize';

const wrap = (inner: string) => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">${inner}</svg>`;

describe('SVG sanitizer', () => {
  const vectors: [string, string, RegExp][] = [
    ['script element', '<script>alert(1)</script>', /script|alert/i],
    ['event handler', '<rect onload="alert(1)" onclick="steal()" width="5" height="5"/>', /onload|onclick|alert|steal/i],
    ['javascript href', '<a href="javascript:alert(1)"><text>x</text></a>', /javascript/i],
    ['external xlink:href', '<use xlink:href="https://evil.example/sprite.svg#x"/>', /evil\.example/],
    ['external image', '<image href="http://evil.example/pixel.png" width="1" height="1"/>', /evil\.example|<image/],
    ['foreignObject with HTML', '<foreignObject><iframe src="https://evil.example"></iframe></foreignObject>', /foreignObject|iframe|evil/i],
    ['style url()', '<rect style="fill:url(https://evil.example/x)" width="1" height="1"/>', /evil\.example/],
    ['style element @import', '<style>@import url(https://evil.example/a.css);</style>', /@import|evil/],
    ['animate setting href', '<a><animate attributeName="href" to="javascript:alert(1)"/><text>x</text></a>', /animate|javascript/i],
    ['filter to external', '<rect filter="url(http://evil.example/f.svg#f)" width="1" height="1"/>', /evil\.example/],
  ];
  for (const [name, inner, forbidden] of vectors) {
    it(`removes ${name}`, () => {
      const out = sanitizeSvg(wrap(inner));
      expect(out).not.toMatch(forbidden);
      expect(out).toMatch(/^<svg/);
    });
  }

  it('keeps drawing, internal url(#…) references and the binding attributes', () => {
    const out = sanitizeSvg(
      wrap('<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs><rect fill="url(#g)" width="5" height="5" data-point="12" data-binding="fill:states=0:#e6e6e6,1:#333"/><text data-point="3" data-binding="text:format=0.0;units=kW">---</text>'),
    );
    expect(out).toContain('fill="url(#g)"');
    expect(out).toContain('data-point="12"');
    expect(out).toContain('data-binding="fill:states=0:#e6e6e6,1:#333"');
    expect(out).toContain('data-binding="text:format=0.0;units=kW"');
  });
});
