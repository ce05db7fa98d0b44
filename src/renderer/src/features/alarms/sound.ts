/**
 * The audible cue: a short two-tone chime repeated while unacknowledged alarms exist and the operator has not
 * silenced it. Web Audio only (no files); browsers start it after the first user interaction.
 */
let ctx: AudioContext | null = null;

export function chime(priority: string | null): void {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
    const high = priority === 'CRITICAL' || priority === 'HIGH';
    const now = ctx.currentTime;
    for (const [i, f] of (high ? [880, 660, 880] : [660, 520]).entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, now + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + i * 0.18);
      osc.stop(now + i * 0.18 + 0.17);
    }
  } catch {
    /* no audio device: the banner still shows everything */
  }
}
