/**
 * Message templates with substitutions: `$name` or `${name}` take a named value, and MyEMS's own `%s`
 * placeholders take the positional values in order ("%s截止到目前电耗%s,超标%s。"). `$$` is a literal `$`.
 * Unknown names are left as written, so a typo shows instead of vanishing. No code is ever evaluated.
 */
export function renderTemplate(template: string, named: Record<string, unknown>, positional: unknown[] = []): string {
  const text = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : String(v));
  let i = 0;
  return template.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|%s/g, (m, braced: string | undefined, bare: string | undefined) => {
    if (m === '$$') return '$';
    if (m === '%s') return i < positional.length ? text(positional[i++]) : m;
    const key = (braced ?? bare)!;
    return Object.prototype.hasOwnProperty.call(named, key) ? text(named[key]) : m;
  });
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}
