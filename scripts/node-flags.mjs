// V8 options of the Switchyard process, given on node's (or Electron's) command line by every way it is started:
// package.json's `serve` and `cli` (spelled out there too: test/desktop/shell-parts.test.ts checks they match), npm
// start's headless and desktop plans (start-lib.mjs) and the tests' SERVE_COMMAND. They size the heap when the
// process starts; nothing can change them later.
//
// --max-semi-space-size=2 (MB; node's default lets each of the young generation's semi-spaces grow to 16 MB): at
// 10,000 points a second the server allocates ~10 MB a second, almost all of it garbage within a scan; V8 grew the
// young generation to its maximum (heap total 81 MB at 10,000 points, of 46 MB used). With 2 MB the young collections come more often
// and each is as cheap (they copy what is alive, not what is dead): bench/memory.bench.ts, see docs/performance.md.
export const NODE_FLAGS = ['--max-semi-space-size=2'];
