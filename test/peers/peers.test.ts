import { afterEach, describe, expect, it } from 'vitest';
import { aptPackages, peerAvailable } from './peers';

describe('a missing test peer', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  it('fails the suite and names the apt line of .ci/run, with and without CI=true (never a silent skip)', () => {
    expect(aptPackages()).toEqual(expect.arrayContaining(['chromium', 'mosquitto', 'mbpoll', 'python3-pymodbus']));
    for (const value of [undefined, 'true', 'false']) {
      if (value === undefined) delete process.env.CI;
      else process.env.CI = value;
      expect(() => peerAvailable('imaginary-peer (apt: imaginary)', () => false)).toThrow(
        `test peer imaginary-peer (apt: imaginary) is missing. Install the test peers with: sudo apt-get install --no-install-recommends ${aptPackages().join(' ')} (or run: bash .ci/run)`,
      );
      expect(() => peerAvailable('crashing check', () => { throw new Error('ENOENT'); })).toThrow(/crashing check is missing/);
      expect(peerAvailable('present', () => true)).toBe(true);
    }
  });
});
