/**
 * Demand response in the runtime: the operator API (routes.ts), Ecosuite participants (ecosuite.ts), the partner
 * API with per-partner keys and OAuth2 (partner.ts), the OpenADR 3 VTN (openadr*.ts) and its notifications
 * (notify.ts: signed webhooks in webhooks.ts, MQTT in mqtt-notifier.ts), the event clock (service.ts) and local
 * dispatch as a client of the control arbiter (dispatch.ts).
 */
import type { Feature } from '../feature';
import { registerEcosuite } from './ecosuite';
import { registerPartnerApi } from './partner';
import { registerOpenAdr } from './openadr';
import { registerMqttSettings } from './openadr-notifiers';
import { registerOperatorApi } from './routes';
import { DemandResponse } from './service';
import { drMigrations } from './store';

export { randomOffset } from './dispatch';
export { DemandResponse } from './service';

const TICK_MS = 1000;

export const drFeature: Feature = {
  name: 'dr',
  migrations: [drMigrations],
  compose(ctx) {
    const dr = new DemandResponse(ctx, Number(process.env.SWITCHYARD_DR_BACKOFF_MS ?? 1000));
    ctx.services.set('dr', dr);
    registerOperatorApi(ctx.app, ctx, dr);
    registerEcosuite(ctx.app, ctx);
    registerPartnerApi(ctx.app, ctx);
    registerOpenAdr(ctx.app, ctx, dr);
    registerMqttSettings(ctx.app, ctx, dr.mqtt);
    let timer: NodeJS.Timeout | null = null;
    return [
      {
        name: 'demand response',
        async start() {
          dr.outbox.start();
          await dr.mqtt.start();
          timer = setInterval(() => void dr.tick().catch((e: Error) => ctx.log(`dr: ${e.message}`)), TICK_MS);
        },
        async stop() {
          if (timer) clearInterval(timer);
          await dr.outbox.stop();
          await dr.mqtt.stop();
        },
      },
    ];
  },
};

