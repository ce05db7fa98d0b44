/**
 * The Node-RED side of the acquisition comparison: a flow that polls the same Modbus blocks as Switchyard, and
 * Node-RED's settings for a headless run. One modbus-client per peer, or more (commands queued, as the node's default),
 * one modbus-read per block at the scan interval; every answer and every failed read goes to a counter, and a GET on /bench/stats
 * (Node-RED's own HTTP server, bound to 127.0.0.1; the editor and admin API are off) answers the counts.
 * The flow does with the registers no more than count them: no decoding, scaling, alarms or history, so the
 * comparison is of acquisition alone on Node-RED's side and favours it.
 */

export interface ReadBlock {
  start: number;
  length: number;
}

export interface PeerBlocks {
  port: number;
  /** Modbus unit id */
  unit: number;
  blocks: ReadBlock[];
}

/** Splits `registers` holding registers (points of `width` registers each) into reads of at most 125 registers, no point cut in two. */
export function blocksOf(registers: number, width: 1 | 2): ReadBlock[] {
  const per = Math.floor(125 / width) * width; // 125 registers, or 124 for two-register points
  const out: ReadBlock[] = [];
  for (let start = 0; start < registers; start += per) out.push({ start, length: Math.min(per, registers - start) });
  return out;
}

// a read that fails (refused while the client is busy, timed out) arrives as an empty message with msg.error
// (emptyMsgOnFail): counted apart, by reason
const COUNT = `const s = global.get('bench');
if (msg.error) {
  s.failed++;
  const why = String(msg.error.message || msg.error).slice(0, 80);
  s.failures[why] = (s.failures[why] || 0) + 1;
  return null;
}
s.reads++;
s.values += Array.isArray(msg.payload) ? msg.payload.length : 0;
return null;`;

const INIT = `global.set('bench', { reads: 0, values: 0, failed: 0, failures: {}, errors: 0, since: Date.now() });`;

const ERRORS = `global.get('bench').errors++;
return null;`;

const STATS = `msg.payload = global.get('bench');
return msg;`;

/** The flow file (a JSON array of nodes) polling every block of every peer once per `intervalS` seconds, the blocks of a peer shared round-robin between `clientsPerPeer` modbus-client nodes. */
export function buildFlow(peers: PeerBlocks[], intervalS = 1, clientsPerPeer = 1): Record<string, unknown>[] {
  const tab = 'bench_tab';
  const nodes: Record<string, unknown>[] = [{ id: tab, type: 'tab', label: 'Switchyard acquisition bench', disabled: false, info: '' }];
  nodes.push({ id: 'bench_count', type: 'function', z: tab, name: 'count reads', func: COUNT, outputs: 0, initialize: INIT, finalize: '', libs: [], wires: [] });
  nodes.push({ id: 'bench_catch', type: 'catch', z: tab, name: 'errors', scope: null, uncaught: false, wires: [['bench_errors']] });
  nodes.push({ id: 'bench_errors', type: 'function', z: tab, name: 'count errors', func: ERRORS, outputs: 0, initialize: '', finalize: '', libs: [], wires: [] });
  nodes.push({ id: 'bench_http', type: 'http in', z: tab, name: 'stats', url: '/bench/stats', method: 'get', upload: false, swaggerDoc: '', wires: [['bench_stats']] });
  nodes.push({ id: 'bench_stats', type: 'function', z: tab, name: 'stats', func: STATS, outputs: 1, initialize: '', finalize: '', libs: [], wires: [['bench_response']] });
  nodes.push({ id: 'bench_response', type: 'http response', z: tab, name: '', statusCode: '', headers: {}, wires: [] });
  peers.forEach((peer, p) => {
    // one connection per client: a client sends its queued reads one at a time, so more clients per peer read in parallel
    const clientOf = (i: number) => `bench_client_${p}_${i % clientsPerPeer}`;
    for (let c = 0; c < clientsPerPeer; c++) {
      nodes.push({
        id: clientOf(c),
        type: 'modbus-client',
        name: `peer ${p} client ${c}`,
        clienttype: 'tcp',
        // queued commands (the node's default): every read waits its turn on the one connection instead of being refused
        bufferCommands: true,
        stateLogEnabled: false,
        queueLogEnabled: false,
        failureLogEnabled: false,
        tcpHost: '127.0.0.1',
        tcpPort: String(peer.port),
        tcpType: 'DEFAULT',
        serialPort: '/dev/ttyUSB',
        serialType: 'RTU-BUFFERD',
        serialBaudrate: '9600',
        serialDatabits: '8',
        serialStopbits: '1',
        serialParity: 'none',
        serialConnectionDelay: '100',
        serialAsciiResponseStartDelimiter: '0x3A',
        unit_id: String(peer.unit),
        commandDelay: '1',
        clientTimeout: '2000',
        reconnectOnTimeout: true,
        reconnectTimeout: '2000',
        parallelUnitIdsAllowed: true,
        showErrors: false,
        showWarnings: false,
        showLogs: false,
      });
    }
    peer.blocks.forEach((b, i) => {
      nodes.push({
        id: `bench_read_${p}_${i}`,
        type: 'modbus-read',
        z: tab,
        name: `peer ${p} block ${i}`,
        topic: '',
        showStatusActivities: false,
        logIOActivities: false,
        showErrors: false,
        showWarnings: false,
        unitid: String(peer.unit),
        dataType: 'HoldingRegister',
        adr: String(b.start),
        quantity: String(b.length),
        rate: String(intervalS),
        rateUnit: 's',
        delayOnStart: false,
        enableDeformedMessages: false,
        startDelayTime: '',
        server: clientOf(i),
        useIOFile: false,
        ioFile: '',
        useIOForPayload: false,
        emptyMsgOnFail: true,
        x: 200,
        y: 40 + i * 40,
        wires: [['bench_count'], []],
      });
    });
  });
  return nodes;
}

/** Node-RED's settings file: headless (no editor, no admin API), HTTP on 127.0.0.1 only, quiet logs, no telemetry. */
export function settingsFile(userDir: string, port: number): string {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    flowFilePretty: false,
    credentialSecret: 'switchyard-bench',
    httpAdminRoot: false,
    httpNodeRoot: '/',
    disableEditor: true,
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    contextStorage: { default: { module: 'memory' } },
    functionExternalModules: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false },
    runtimeState: { enabled: false, ui: false },
    editorTheme: { tours: false, projects: { enabled: false } },
  };
  return `module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}
