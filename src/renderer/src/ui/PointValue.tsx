import { usePointValue } from '../live/liveStore';
import { useStateLabels } from '../live/pointStates';
import { formatValue, QUALITY_MARK } from './format';

/** A live value (a discrete point's state name) with its units and, when it is not good, a quality marker (glyph + text). */
export function PointValue({ pointId, format, units }: { pointId: number; format?: string; units?: string }) {
  const v = usePointValue(pointId);
  const states = useStateLabels(pointId);
  const mark = v ? QUALITY_MARK[v.quality] : QUALITY_MARK.stale;
  return (
    <span className={`pv${mark ? ` pv-abnormal q-${v?.quality ?? 'stale'}` : ''}`} data-point-id={pointId} title={mark?.label}>
      <span className="pv-value">{formatValue(v, format, units, states)}</span>
      {mark && (
        <span className="pv-quality" aria-label={mark.label}>
          {mark.glyph} {mark.label}
        </span>
      )}
    </span>
  );
}
