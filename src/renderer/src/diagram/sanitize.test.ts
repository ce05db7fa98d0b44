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
    // a style sheet in an inline SVG applies to the whole page: it once hid the status bar and rewrote the banner
    ['style element', '<style>.status-bar{display:none}.sy-alarm-count::after{content:"0 unacknowledged"}</style><rect width="1" height="1"/>', /<style|status-bar|unacknowledged/],
    ['style element in a nested svg', '<svg><style>body{visibility:hidden}</style></svg>', /<style|visibility/],
    ['CSS escapes in url(', '<rect style="fill:u\\72l(https://evil.example/x)" width="1" height="1"/>', /evil\.example/],
    ['CSS hex escapes in url(', '<rect style="fill:\\75\\72\\6c (https://evil.example/x)" width="1" height="1"/>', /evil\.example/],
    ['comment inside url(', '<rect style="fill:ur/**/l(https://evil.example/x)" width="1" height="1"/>', /evil\.example/],
    ['position:fixed overlay', '<rect style="position:fixed;top:0;left:0;z-index:99999;width:100vw;height:100vh" width="1" height="1"/>', /position|z-index|top:/],
    ['escaped position:fixed overlay', '<rect style="p\\6fsition:fixed;z-ind\\65x:9" width="1" height="1"/>', /fixed|z-ind/],
    ['link element', '<link rel="stylesheet" href="https://evil.example/a.css"/>', /<link|evil/],
  ];
  for (const [name, inner, forbidden] of vectors) {
    it(`removes ${name}`, () => {
      const out = sanitizeSvg(wrap(inner));
      expect(out).not.toMatch(forbidden);
      expect(out).toMatch(/^<svg/);
    });
  }

  it('keeps harmless style declarations of a diagram element', () => {
    const out = sanitizeSvg(wrap('<rect style="fill:#ccc; stroke: url(#g); position: fixed; opacity:0.5" width="1" height="1"/>'));
    expect(out).toContain('style="fill: #ccc; stroke: url(#g); opacity: 0.5"');
  });

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
