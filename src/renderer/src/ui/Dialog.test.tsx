// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dialog } from './Dialog';

function Nested() {
  const [outer, setOuter] = useState(false);
  const [inner, setInner] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOuter(true)}>
        Open faceplate
      </button>
      {outer && (
        <Dialog title="Faceplate" onClose={() => setOuter(false)}>
          <button type="button" onClick={() => setInner(true)}>
            Send…
          </button>
          {inner && (
            <Dialog title="Confirm command" onClose={() => setInner(false)}>
              <button type="button">Send</button>
            </Dialog>
          )}
        </Dialog>
      )}
    </>
  );
}

afterEach(cleanup);

describe('Dialog', () => {
  it('Escape closes only the innermost dialog, and the focus goes back to what opened each', () => {
    render(<Nested />);
    const opener = screen.getByRole('button', { name: 'Open faceplate' });
    opener.focus();
    fireEvent.click(opener);
    const faceplate = screen.getByRole('dialog', { name: 'Faceplate' });
    expect(faceplate.contains(document.activeElement)).toBe(true);
    const send = screen.getByRole('button', { name: 'Send…' });
    send.focus();
    fireEvent.click(send);
    const confirm = screen.getByRole('dialog', { name: 'Confirm command' });
    expect(confirm.contains(document.activeElement)).toBe(true);
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByRole('dialog', { name: 'Confirm command' })).toBeNull();
    expect(screen.getByRole('dialog', { name: 'Faceplate' })).toBeTruthy();
    expect(document.activeElement).toBe(send);
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('brings the focus back when it leaves the dialog', () => {
    render(
      <>
        <button type="button">Behind</button>
        <Dialog title="Modal" onClose={() => undefined}>
          <p>text</p>
        </Dialog>
      </>,
    );
    screen.getByRole('button', { name: 'Behind' }).focus();
    expect(screen.getByRole('dialog', { name: 'Modal' }).contains(document.activeElement)).toBe(true);
  });
});
