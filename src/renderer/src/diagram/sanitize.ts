/**
 * User SVGs are sanitized before they reach the DOM: no scripts, no event handlers, no foreign objects, no
 * references outside the document (href/xlink:href only to "#fragments", no url(...) to anything else,
 * no @import). The binding attributes (data-point, data-binding) survive.
 */
import DOMPurify from 'dompurify';

const EXTERNAL_URL = /url\(\s*['"]?\s*(?!#)[^)]*\)/i;
const IMPORT = /@import/i;

let configured: ReturnType<typeof DOMPurify> | null = null;

function purifier(): ReturnType<typeof DOMPurify> {
  if (configured) return configured;
  const p = DOMPurify(window);
  p.addHook('uponSanitizeElement', (node, data) => {
    if (data.tagName === 'style' && (IMPORT.test(node.textContent ?? '') || EXTERNAL_URL.test(node.textContent ?? ''))) node.parentNode?.removeChild(node);
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    if (!el.getAttribute) return;
    for (const attr of ['href', 'xlink:href']) {
      const v = el.getAttribute(attr);
      if (v !== null && !v.trim().startsWith('#')) el.removeAttribute(attr);
    }
    const style = el.getAttribute('style');
    if (style && (EXTERNAL_URL.test(style) || IMPORT.test(style) || /expression\s*\(/i.test(style))) el.removeAttribute('style');
    for (const a of Array.from(el.attributes ?? [])) {
      if (/^on/i.test(a.name)) el.removeAttribute(a.name);
      else if (a.value && EXTERNAL_URL.test(a.value) && a.name !== 'data-binding') el.removeAttribute(a.name);
    }
  });
  configured = p;
  return p;
}

export function sanitizeSvg(source: string): string {
  return purifier().sanitize(source, {
    USE_PROFILES: { svg: true, svgFilters: true },
    FORBID_TAGS: ['script', 'foreignObject', 'iframe', 'embed', 'object', 'image', 'audio', 'video', 'animate', 'animateTransform', 'animateMotion', 'set'],
    ADD_ATTR: ['data-point', 'data-binding'],
    ALLOW_DATA_ATTR: true,
  }) as string;
}
