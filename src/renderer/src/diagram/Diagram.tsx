/**
 * A live SVG diagram: the source is sanitized, put in the DOM once, and its bound elements are updated
 * directly from the live store (no React re-render of the SVG). A click on a bound element opens its faceplate.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { applyAlarmBlink, selectUnacknowledgedPointIds, useAlarmStore } from '../features/alarms';
import { live, useLive } from '../live/liveStore';
import { Faceplate } from '../ui/Faceplate';
import { DiagramBinder } from './bindings';
import { sanitizeSvg } from './sanitize';

/** The last binder update times (ms), for the diagram benchmark and for diagnosing slow diagrams. */
const updateTimes: number[] = [];
function recordUpdate(ms: number): void {
  updateTimes.push(ms);
  if (updateTimes.length > 200) updateTimes.shift();
  (window as unknown as { __switchyardDiagramUpdateMs?: number[] }).__switchyardDiagramUpdateMs = updateTimes;
}

export function Diagram({ source, title }: { source: string; title: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [faceplate, setFaceplate] = useState<number | null>(null);
  const clean = useMemo(() => sanitizeSvg(source), [source]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    el.innerHTML = clean;
    const binder = new DiagramBinder(el);
    binder.update(useLive.getState().values);
    const unsubscribePoints = live.subscribe(binder.pointIds());
    const unsubscribeValues = useLive.subscribe((s, prev) => {
      if (s.values === prev.values) return;
      const t0 = performance.now();
      binder.update(s.values);
      recordUpdate(performance.now() - t0);
    });
    const blink = () => applyAlarmBlink(el, selectUnacknowledgedPointIds(useAlarmStore.getState()));
    blink();
    const unsubscribeAlarms = useAlarmStore.subscribe(blink);
    return () => {
      unsubscribePoints();
      unsubscribeValues();
      unsubscribeAlarms();
      el.innerHTML = '';
    };
  }, [clean]);

  const open = (target: EventTarget | null) => {
    const bound = (target as Element | null)?.closest?.('[data-point]');
    const id = Number(bound?.getAttribute('data-point'));
    if (Number.isInteger(id) && id > 0) setFaceplate(id);
  };

  return (
    <figure className="diagram" aria-label={title}>
      <div
        ref={host}
        className="diagram-canvas"
        role="application"
        aria-label={`${title}: click or press Enter on an element to open its faceplate`}
        tabIndex={0}
        onClick={(e) => open(e.target)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') open(document.activeElement?.closest('[data-point]') ?? null);
        }}
      />
      {faceplate !== null && <Faceplate pointId={faceplate} onClose={() => setFaceplate(null)} />}
    </figure>
  );
}
