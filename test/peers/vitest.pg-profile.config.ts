// vitest's configuration plus the round-trip profile after each test (test/peers/with-postgres.ts --profile)
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config';

export default mergeConfig(base, defineConfig({ test: { setupFiles: ['test/peers/pg-profile.ts'] } }));
