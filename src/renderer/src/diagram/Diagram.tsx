/**
 * A live SVG diagram: the source is sanitized, put in the DOM once, and its bound elements are updated
 * directly from the live store (no React re-render of the SVG). A click on a bound element opens its faceplate.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { applyAlarmBlink, selectUnacknowledgedPointIds, useAlarmStore } from '../features/alarms';
import { api } from '../app/api';
import { live, onValues, useLive } from '../live/liveStore';
import { Faceplate } from '../ui/Faceplate';
import { pointLabel, remoteSites, type NamedPoint } from '../ui/sites';
import { DiagramBinder } from './bindings';
import { sanitizeSvg } from './sanitize';
import { TextOverlay } from './textOverlay';

/** The last binder update times (ms), for the diagram benchmark and for diagnosing slow diagrams. */
const updateTimes: number[] = [];
function recordUpdate(ms: number): void {
  updateTimes.push(ms);
  if (updateTimes.length > 200) updateTimes.shift();
  (window as unknown as { __switchyardDiagramUpdateMs?: number[] }).__switchyardDiagramUpdateMs = updateTimes;
}

/**
 * localStorage `switchyard.diagram.textOverlay` = `off` leaves every text to SVG, `main` draws the overlay on the
 * page's main thread instead of a worker (diagnosis, the benchmark's "before" figures, the fallback's tests).
 */
function overlayMode(): string | null {
  try {
    return localStorage.getItem('switchyard.diagram.textOverlay');
  } catch {
    return null;
  }
}

/**
 * Makes the diagram's symbols reachable by keyboard: every bound element that is not inside another bound
 * element becomes a focusable button named after its point (until the names arrive, "Point <id>").
 */
export function makeSymbolsFocusable(root: Element): Element[] {
  const symbols = [...root.querySelectorAll('[data-point]')].filter((e) => !e.parentElement?.closest('[data-point]') && Number(e.getAttribute('data-point')) > 0);
  for (const s of symbols) {
    s.setAttribute('tabindex', '0');
    s.setAttribute('role', 'button');
    nameSymbol(s, undefined);
  }
  return symbols;
}

/** The symbol's accessible name: its point's name (a state binding adds the state, e.g. "PV Breaker: open"). */
export function nameSymbol(symbol: Element, pointName: string | undefined): void {
  const name = pointName ?? `Point ${symbol.getAttribute('data-point')}`;
  symbol.setAttribute('data-name', name);
  const state = symbol.getAttribute('data-state');
  symbol.setAttribute('aria-label', state ? `${name}: ${state}` : `${name}, open faceplate`);
}

export function Diagram({ source, title }: { source: string; title: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [faceplate, setFaceplate] = useState<number | null>(null);
  const overlayRef = useRef<TextOverlay | null>(null);
  const clean = useMemo(() => sanitizeSvg(source), [source]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    el.innerHTML = clean;
    const binder = new DiagramBinder(el);
    // a large diagram's live texts are drawn on a canvas over the SVG (no SVG text layout per new value)
    const svg = el.querySelector('svg');
    const mode = overlayMode();
    const overlay = svg && mode !== 'off' ? TextOverlay.attach(el, svg, binder.elements, undefined, mode !== 'main') : null;
    overlayRef.current = overlay;
    binder.update(useLive.getState().values);
    overlay?.render();
    const unsubscribePoints = live.subscribe(binder.pointIds());
    // value batches are written once per animation frame: however many arrive in a frame, the DOM is written
    // once, with the latest values, just before the frame is drawn (and never read back in between); only the
    // elements of the points in those batches are looked at
    let frame = 0;
    const changed = new Set<number>();
    const flush = () => {
      frame = 0;
      const t0 = performance.now();
      binder.update(useLive.getState().values, changed);
      changed.clear();
      overlay?.render();
      recordUpdate(performance.now() - t0);
    };
    const unsubscribeValues = onValues((batch) => {
      for (let i = 0; i < batch.length; i++) changed.add(batch[i].point_id);
      if (!frame) frame = requestAnimationFrame(flush);
    });
    let alive = true;
    const symbols = makeSymbolsFocusable(el);
    void Promise.all([api.get<({ id: number } & NamedPoint)[]>('/points'), remoteSites()])
      .then(([points, sites]) => {
        if (!alive) return;
        const names = new Map(points.map((p) => [p.id, pointLabel(p, sites)]));
        for (const s of symbols) nameSymbol(s, names.get(Number(s.getAttribute('data-point'))));
      })
      .catch(() => undefined);
    const blink = () => applyAlarmBlink(el, selectUnacknowledgedPointIds(useAlarmStore.getState()));
    blink();
    const unsubscribeAlarms = useAlarmStore.subscribe(blink);
    return () => {
      alive = false;
      unsubscribePoints();
      unsubscribeValues();
      if (frame) cancelAnimationFrame(frame);
      unsubscribeAlarms();
      overlay?.destroy();
      overlayRef.current = null;
      el.innerHTML = '';
    };
  }, [clean]);

  const open = (target: EventTarget | null, at?: { clientX: number; clientY: number }) => {
    // a text drawn on the overlay has no glyphs in the SVG: the overlay knows where it is
    const drawn = at ? overlayRef.current?.hitTest(at.clientX, at.clientY) : null;
    const bound = drawn ?? (target as Element | null)?.closest?.('[data-point]');
    const id = Number(bound?.getAttribute('data-point'));
    if (Number.isInteger(id) && id > 0) setFaceplate(id);
  };

  return (
    <figure className="diagram" aria-label={title}>
      <div
        ref={host}
        className="diagram-canvas"
        role="group"
        aria-label={`${title}: click a symbol, or Tab to it and press Enter, to open its faceplate`}
        onClick={(e) => open(e.target, e)}
        onKeyDown={(e) => {
          if (e.key !== 'Enter' && e.key !== ' ') return;
          const symbol = (e.target as Element).closest?.('[data-point]');
          if (!symbol) return;
          e.preventDefault();
          open(symbol);
        }}
      />
      {faceplate !== null && <Faceplate pointId={faceplate} onClose={() => setFaceplate(null)} />}
    </figure>
  );
}
