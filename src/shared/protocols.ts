/**
 * Data source protocols that talk to a device over a link that can be lost. Only these can be "offline":
 * the status bar, the tray, GET /api/status and the data source OFFLINE alarm count them. `simulation`,
 * `virtual` (computed points) and `manual` (hand-entered points) have no device and are never offline.
 */
export const DEVICE_PROTOCOLS = ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt'] as const;

export const talksToDevice = (protocol: string | null | undefined): boolean => (DEVICE_PROTOCOLS as readonly string[]).includes(protocol ?? '');
