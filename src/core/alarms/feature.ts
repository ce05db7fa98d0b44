/**
 * The alarms feature in the runtime: point, data source and rule alarms (AlarmService), rules on schedule
 * (RuleRunner), energy counter marks for the consumption rules, messages and the e-mail outbox.
 */
import type { Feature, RuntimeContext } from '../feature';
import { messageEntities } from '../messages/entities';
import { Messenger } from '../messages/messenger';
import { MessageOutbox } from '../messages/outbox';
import { registerMessageRoutes } from '../messages/routes';
import { CounterMarks } from './counters';
import { pointalarms } from './entities';
import { alarmMigrations } from './repository';
import { registerAlarmRoutes } from './routes';
import { RuleRunner, rules } from './rules';
import { AlarmService, defaultOfflineDelayMs } from './service';
import { seesAlarm } from './subject';

export const OPERATOR_POSITIONS_SETTING = 'alarms.operator_positions';
export const RETENTION_DAYS_SETTING = 'alarms.retention_days';
const PURGE_EVERY_MS = 3_600_000;
export const DATA_SOURCE_OFFLINE_DELAY_SETTING = 'alarms.datasource_offline_delay_seconds';
const COUNTER_FLUSH_MS = 5_000;
/** points re-planned at a time when a change touched many (an import) */
const REPLAN_SLICE = 500;

export const alarmsFeature: Feature = {
  name: 'alarms',
  migrations: [alarmMigrations],
  entities: [rules, pointalarms, ...messageEntities],
  compose(ctx: RuntimeContext) {
    const { store } = ctx;
    const live = () => ctx.services.get('live') as { broadcast(msg: object): void } | undefined;
    const messenger = new Messenger(store);
    const outbox = new MessageOutbox({ store, log: ctx.log });
    const alarms = new AlarmService({ store, bus: ctx.values, audit: ctx.audit, log: ctx.log, broadcast: (m) => live()?.broadcast(m),
      // the setting overrides the default (one scan interval of the data source)
      dataSourceOfflineDelayMs: (scanInterval) => {
        const raw = ctx.settings.get(DATA_SOURCE_OFFLINE_DELAY_SETTING);
        const v = Number(raw);
        return raw !== null && raw.trim() !== '' && Number.isFinite(v) && v >= 0 ? v * 1000 : defaultOfflineDelayMs(scanInterval);
      },
    });
    const counters = new CounterMarks(store);
    const runner = new RuleRunner({ store, bus: ctx.values, counters, alarms, messenger, log: ctx.log, onMessages: () => void outbox.flush() });
    ctx.services.set('alarms', alarms);
    ctx.services.set('rules', runner);
    ctx.services.set('messenger', messenger);
    ctx.services.set('outbox', outbox);

    registerAlarmRoutes(ctx.app, {
      alarms,
      rules: runner,
      positions: () => Math.max(1, Number(ctx.settings.get(OPERATOR_POSITIONS_SETTING) ?? 1) || 1),
      access: ctx.access,
    });
    registerMessageRoutes(ctx.app, { store, audit: ctx.audit });

    let off: (() => void) | null = null;
    let replanning: Promise<void> = Promise.resolve();
    let slicesQueued = 0;
    let unsubscribe: (() => void) | null = null;
    let counterTimer: NodeJS.Timeout | null = null;
    let purgeTimer: NodeJS.Timeout | null = null;
    const purge = () => {
      const days = Number(ctx.settings.get(RETENTION_DAYS_SETTING) ?? 365);
      try {
        const n = alarms.purgeHistory(Number.isFinite(days) && days > 0 ? days : 365);
        if (n) ctx.log(`alarms: purged ${n} alarm transitions older than ${days} days`);
      } catch (e) {
        ctx.log(`alarms purge: ${(e as Error).message}`);
      }
    };
    return [
      {
        name: 'alarms',
        start() {
          alarms.start();
          unsubscribe = ctx.values.subscribe((b) => counters.take(b));
          counterTimer = setInterval(() => {
            try {
              counters.flush();
            } catch (e) {
              ctx.log(`counter marks: ${(e as Error).message}`);
            }
          }, COUNTER_FLUSH_MS);
          counterTimer.unref();
          purgeTimer = setInterval(purge, PURGE_EVERY_MS);
          purgeTimer.unref();
          // once per committed write, however many points it touched (a point-list import); a point's change
          // re-plans that point only, a data source's the points planned with it (its name names a remote site's
          // alarms; its OFFLINE alarm follows on the next tick); alarm settings (rare, one at a time) re-plan everything
          off = ctx.registry.onChanges((changes) => {
            if (changes.some((c) => c.entity === 'pointalarms')) {
              alarms.reload();
              counters.reload();
            } else {
              const sources = new Set(changes.filter((c) => c.entity === 'datasources').map((c) => c.id));
              // (a concatenation, not push(...): a data source may have more points than a call takes arguments)
              const points = changes.filter((c) => c.entity === 'points').map((c) => c.id).concat(sources.size ? alarms.pointsPlannedWith(sources) : []);
              if (points.length) replan(points);
            }
            for (const { entity, op, id } of changes) {
              if (entity !== 'rules') continue;
              if (op === 'delete') {
                alarms.clearSource('rule', id);
                continue;
              }
              const r = store.db.prepare('SELECT is_run_immediately, is_enabled FROM rules WHERE id = ?').get(id) as { is_run_immediately: number; is_enabled: number } | undefined;
              if (r?.is_run_immediately && r.is_enabled) setImmediate(() => runnerSafe(() => runner.run(id)));
            }
          });
          runner.start();
          outbox.start();
        },
        async stop() {
          off?.();
          runner.stop();
          unsubscribe?.();
          if (counterTimer) clearInterval(counterTimer);
          if (purgeTimer) clearInterval(purgeTimer);
          try {
            counters.flush();
          } catch {
            /* the store may already be closing */
          }
          alarms.stop();
          await outbox.stop();
        },
      },
    ];

    /**
     * Re-plans changed points; thousands (an import) in slices with the event loop free between them, in the
     * order the changes came.
     */
    function replan(points: number[]) {
      const run = (ids: number[]) => {
        try {
          alarms.reloadPoints(ids);
          counters.reloadPoints(ids);
        } catch (e) {
          ctx.log(`alarms: re-planning points: ${(e as Error).message}`);
        }
      };
      if (points.length <= REPLAN_SLICE && slicesQueued === 0) return run(points);
      for (let i = 0; i < points.length; i += REPLAN_SLICE) {
        const slice = points.slice(i, i + REPLAN_SLICE);
        slicesQueued++;
        replanning = replanning.then(async () => {
          await new Promise<void>((resolve) => setImmediate(resolve));
          slicesQueued--;
          run(slice);
        });
      }
    }

    function runnerSafe(fn: () => unknown) {
      try {
        fn();
      } catch (e) {
        ctx.log(`rules: ${(e as Error).message}`);
      }
    }
  },
  status(ctx, principal) {
    const alarms = ctx.services.get('alarms') as AlarmService | undefined;
    if (!alarms) return {};
    // a privilege-limited user's status bar counts the alarms it may see
    const s = alarms.summary(principal && !principal.isAdmin && principal.spaces !== null ? (r) => seesAlarm(ctx.access, principal, r) : undefined);
    return { unacknowledgedAlarms: s.unacknowledged, highestAlarmPriority: s.highestPriority };
  },
};
