/**
 * Data source protocols that talk to a device over a link that can be lost. Only these can be "offline":
 * the status bar, the tray, GET /api/status and the data source OFFLINE alarm count them. `simulation`,
 * `virtual` (computed points) and `manual` (hand-entered points) have no device and are never offline. `sparkplug`
 * (a remote edge site at the central server) is offline when its edge node is dead.
 */
export const DEVICE_PROTOCOLS = ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt', 'sparkplug'] as const;

export const talksToDevice = (protocol: string | null | undefined): boolean => (DEVICE_PROTOCOLS as readonly string[]).includes(protocol ?? '');
