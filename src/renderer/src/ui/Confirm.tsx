/**
 * An in-app confirmation (instead of window.confirm, which blocks the renderer: live values and the alarm
 * banner would freeze while it is open). `useConfirm` gives the dialog to render and an `ask` that resolves
 * true when the user confirms.
 */
import { type ReactNode, useCallback, useState } from 'react';
import { Dialog } from './Dialog';

export interface ConfirmOptions {
  title: string;
  message: ReactNode;
  /** the button that goes ahead, e.g. "Delete" */
  confirm: string;
  /** the button that does nothing (default "Cancel") */
  dismiss?: string;
}

export function useConfirm(): [ReactNode, (o: ConfirmOptions) => Promise<boolean>] {
  const [pending, setPending] = useState<(ConfirmOptions & { resolve: (ok: boolean) => void }) | null>(null);
  const ask = useCallback((o: ConfirmOptions) => new Promise<boolean>((resolve) => setPending({ ...o, resolve })), []);
  const answer = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  const dialog = pending ? (
    <Dialog title={pending.title} onClose={() => answer(false)}>
      <p>{pending.message}</p>
      <div className="button-row">
        <button type="button" className="primary" onClick={() => answer(true)}>
          {pending.confirm}
        </button>
        <button type="button" onClick={() => answer(false)} autoFocus>
          {pending.dismiss ?? 'Cancel'}
        </button>
      </div>
    </Dialog>
  ) : null;
  return [dialog, ask];
}
