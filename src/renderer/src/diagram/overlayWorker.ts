/**
 * The text overlay's painter in a worker (overlayPainter.ts): it owns the overlay canvas's OffscreenCanvas, so that
 * drawing the live texts and committing the canvas leave the page's main thread. The first message hands it the
 * canvas; every later one is a PainterInput.
 */
import { OverlayPainter, type PainterInput, type PainterOutput } from './overlayPainter';

interface WorkerScope {
  onmessage: ((e: MessageEvent<PainterInput | { type: 'canvas'; canvas: OffscreenCanvas }>) => void) | null;
  postMessage(msg: PainterOutput, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;
let painter: OverlayPainter | null = null;

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'canvas') painter = new OverlayPainter(msg.canvas, (out, transfer) => scope.postMessage(out, transfer ?? []));
  else painter?.handle(msg);
};
