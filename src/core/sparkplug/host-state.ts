/**
 * The primary host's state as an edge node follows it (Sparkplug 3.0): its `spBv1.0/STATE/{id}` message is JSON
 * `{online, timestamp}`; one older than the newest seen for the host is stale (a retained message a broker kept
 * from before) and changes nothing. The 2.2 plain `ONLINE`/`OFFLINE` payloads have no timestamp and are taken as is.
 */
export class PrimaryHostState {
  private newest = -Infinity;

  /** The host's state the message says, or null when it is stale or says nothing. */
  read(payload: Buffer): boolean | null {
    const text = payload.toString();
    let msg: { online?: unknown; timestamp?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return text === 'ONLINE' ? true : text === 'OFFLINE' ? false : null;
    }
    if (msg === null || typeof msg !== 'object') return null;
    if (typeof msg.timestamp === 'number') {
      if (msg.timestamp < this.newest) return null;
      this.newest = msg.timestamp;
    }
    return msg.online === true;
  }
}
