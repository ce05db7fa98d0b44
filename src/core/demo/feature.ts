import type { EnergyPipeline } from '../energy/pipeline';
import type { Feature } from '../feature';
import type { Historian } from '../historian/feature';
import { startDemoDevices, type DemoDevices } from './devices/devices';
import { seedDemoHistory } from './history';
import { DEMO_EV_BROKER, DEMO_HVAC, DEMO_PLC, demoConnection } from './plant';

/**
 * The demo plant's month of energy history (a fresh store only, history.ts) and its simulated devices, both started
 * after the server listens: health and login need neither. The history comes first (a day of one point at a time,
 * requests answered in between; the energy pipeline then computes its hours in the background). The devices (loading modbus-serial, aedes and
 * @bacnet-js/client and starting them takes about a second) start before acquisition, which then also starts after
 * listen, so its data sources find them; meanwhile they are 'connecting' (acquisition/feature.ts). A port the
 * devices cannot have (another program holds it) is replaced by a free one, written back to the data source.
 */
export const demoFeature: Feature = {
  name: 'demo',
  compose(ctx) {
    if (ctx.seed !== 'demo') return [];
    let devices: DemoDevices | null = null;
    return [
      {
        name: 'demo history',
        afterListen: true,
        async start() {
          const pipeline = ctx.services.get('energyPipeline') as EnergyPipeline;
          await seedDemoHistory(ctx, ctx.services.get('historian') as Historian, (id, first, last) => pipeline.imported(id, first, last));
        },
        stop() {},
      },
      {
        name: 'demo devices',
        afterListen: true,
        async start() {
          const plc = demoConnection(ctx.store, DEMO_PLC);
          const ev = demoConnection(ctx.store, DEMO_EV_BROKER);
          const hvac = demoConnection(ctx.store, DEMO_HVAC);
          if (!plc && !ev && !hvac) return;
          const wanted = (c: typeof plc) => (typeof c?.connection.port === 'number' ? c.connection.port : 0);
          devices = await startDemoDevices({ modbusPort: wanted(plc), mqttPort: wanted(ev), bacnetPort: wanted(hvac), log: ctx.log });
          const update = ctx.store.db.prepare('UPDATE data_sources SET connection = ? WHERE id = ?');
          for (const [c, port] of [
            [plc, devices.modbusPort],
            [ev, devices.mqttPort],
            [hvac, devices.bacnetPort],
          ] as const) {
            if (c && port !== null && c.connection.port !== port) {
              update.run(JSON.stringify({ ...c.connection, port }), c.id);
              ctx.registry.emit('datasources', 'update', c.id);
            }
          }
          ctx.services.set('demo', devices);
        },
        async stop() {
          await devices?.stop();
          devices = null;
        },
      },
    ];
  },
};
