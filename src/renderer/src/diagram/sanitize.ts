/**
 * User SVGs are sanitized before they reach the DOM: no scripts, no event handlers, no foreign objects, no
 * references outside the document (href/xlink:href only to "#fragments", no url(...) to anything else,
 * no @import), and no `<style>` elements: a style sheet in an inline SVG applies to the whole page (it could
 * restyle or hide the alarm banner), so a diagram styles itself only through attributes and `style`
 * attributes. Those are read after CSS escapes are decoded (`u\72l(` is `url(`), and declarations that
 * would take an element out of the diagram's box (position, z-index, inset, ...) are dropped. The diagram's
 * container (styles.css, .diagram-canvas) also clips and contains whatever is left. The binding attributes
 * (data-point, data-binding) survive.
 */
import DOMPurify from 'dompurify';

const EXTERNAL_URL = /url\(\s*['"]?\s*(?!#)[^)]*\)/i;
const DANGEROUS_CSS = /@import|expression\s*\(|javascript:|-moz-binding|behavior\s*:/i;
/** Properties a diagram element may not set: they move it out of the diagram or over the page. */
const FORBIDDEN_PROPERTIES = new Set(['position', 'z-index', 'inset', 'top', 'left', 'right', 'bottom', 'float', 'content', 'behavior', '-moz-binding']);

/** CSS text with its escapes decoded (`\75`, `\000075 `, `\u`), comments removed: what the CSS parser sees. */
export function decodeCss(s: string): string {
  return s
    .replace(/\/\*[\s\S]*?(\*\/|$)/g, '')
    .replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_m, hex: string) => {
      const cp = parseInt(hex, 16);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
    })
    .replace(/\\(.)/g, '$1')
    .replace(/\\$/, '');
}

/** A style attribute with the forbidden declarations removed; null when nothing safe is left. */
export function safeStyle(style: string): string | null {
  const kept: string[] = [];
  for (const decl of decodeCss(style).split(';')) {
    const colon = decl.indexOf(':');
    if (colon <= 0) continue;
    const prop = decl.slice(0, colon).trim().toLowerCase();
    const value = decl.slice(colon + 1).trim();
    if (!/^-?[a-z][a-z0-9-]*$/.test(prop) || FORBIDDEN_PROPERTIES.has(prop)) continue;
    if (EXTERNAL_URL.test(value) || DANGEROUS_CSS.test(value) || /[<>{}\\]/.test(value)) continue;
    kept.push(`${prop}: ${value}`);
  }
  return kept.length ? kept.join('; ') : null;
}

let configured: ReturnType<typeof DOMPurify> | null = null;

function purifier(): ReturnType<typeof DOMPurify> {
  if (configured) return configured;
  const p = DOMPurify(window);
  p.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    if (!el.getAttribute) return;
    for (const attr of ['href', 'xlink:href']) {
      const v = el.getAttribute(attr);
      if (v !== null && !decodeCss(v).trim().startsWith('#')) el.removeAttribute(attr);
    }
    const style = el.getAttribute('style');
    if (style !== null) {
      const safe = safeStyle(style);
      if (safe === null) el.removeAttribute('style');
      else el.setAttribute('style', safe);
    }
    for (const a of Array.from(el.attributes ?? [])) {
      if (/^on/i.test(a.name)) el.removeAttribute(a.name);
      else if (a.name !== 'data-binding' && a.name !== 'style' && a.value && (EXTERNAL_URL.test(decodeCss(a.value)) || DANGEROUS_CSS.test(decodeCss(a.value)))) el.removeAttribute(a.name);
    }
  });
  configured = p;
  return p;
}

export function sanitizeSvg(source: string): string {
  return purifier().sanitize(source, {
    USE_PROFILES: { svg: true, svgFilters: true },
    FORBID_TAGS: ['style', 'script', 'foreignObject', 'iframe', 'embed', 'object', 'image', 'audio', 'video', 'animate', 'animateTransform', 'animateMotion', 'set', 'link', 'meta', 'base'],
    ADD_ATTR: ['data-point', 'data-binding'],
    ALLOW_DATA_ATTR: true,
  }) as string;
}
