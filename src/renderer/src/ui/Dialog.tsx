import { type ReactNode, useEffect, useRef } from 'react';

/** The open dialogs, innermost last: only the top one answers Escape and keeps the focus. */
const stack: HTMLElement[] = [];

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The elements Tab moves between inside `root` (visible, enabled, not inside a nested dialog). */
export function focusableIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.closest('[role="dialog"]') === root && !el.closest('[hidden]') && el.getClientRects().length > 0);
}

/**
 * A modal dialog: focus moves in and stays in (Tab and Shift+Tab cycle inside), Escape closes the innermost
 * dialog only, and the focus returns where it was.
 */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  // where the focus was when the dialog opened (read while rendering: an autoFocus field takes it at commit)
  const before = useRef<HTMLElement | null>(null);
  if (before.current === null) before.current = document.activeElement as HTMLElement | null;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    stack.push(el);
    if (!el.contains(document.activeElement)) el.focus();
    const onKey = (e: KeyboardEvent) => {
      if (stack.at(-1) !== el) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close.current();
      } else if (e.key === 'Tab') {
        const items = focusableIn(el);
        if (items.length === 0) {
          e.preventDefault();
          el.focus();
          return;
        }
        const first = items[0];
        const last = items[items.length - 1];
        const active = document.activeElement as HTMLElement | null;
        const inside = active !== null && el.contains(active) && active !== el;
        if (e.shiftKey && (!inside || active === first)) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && (!inside || active === last)) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    // focus that leaves the dialog (a click on the page behind, a screen reader's jump) is brought back
    const onFocusIn = (e: FocusEvent) => {
      if (stack.at(-1) === el && e.target instanceof Node && !el.contains(e.target)) el.focus();
    };
    window.addEventListener('keydown', onKey, true);
    document.addEventListener('focusin', onFocusIn);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      document.removeEventListener('focusin', onFocusIn);
      stack.splice(stack.indexOf(el), 1);
      const back = before.current;
      if (back && document.contains(back)) back.focus();
    };
  }, []);
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`dialog${wide ? ' dialog-wide' : ''}`} role="dialog" aria-modal="true" aria-label={title} tabIndex={-1} ref={ref}>
        <header className="dialog-header">
          <h2>{title}</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        <div className="dialog-body">{children}</div>
      </div>
    </div>
  );
}
