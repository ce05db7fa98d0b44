/**
 * The MQTT notifier's topic names (OpenADR 3 `/notifiers/mqtt/topics/...`), after the specification's example
 * `{objectType}s/{operation}`, under a prefix (`openadr3` unless configured):
 *
 *   business logic (all objects, full view)    a VEN (only what it may see, as it reads it)
 *   programs/{op}, programs/{id}/{op}          vens/{venID}/programs/{op}
 *   events/{op}, programs/{id}/events/{op}     vens/{venID}/events/{op}
 *   reports/{op}, subscriptions/{op}           vens/{venID}/{op} (its own VEN object)
 *   vens/{op}, resources/{op}                  vens/{venID}/resources/{op}
 *
 * {op} is create, update or delete; ALL is the single-level wildcard `+`. Topics of one object (programs/{id},
 * vens/{venID}) have no create. Everything a VEN may read sits under vens/{venID}/, so one broker ACL pattern per
 * client keeps partners apart; the embedded broker enforces it itself (mqtt-notifier.ts).
 */
import type { Change } from './notify';

export interface TopicSet {
  CREATE?: string;
  UPDATE: string;
  DELETE: string;
  ALL: string;
}

export function topicSet(prefix: string, path: string, withCreate = true): TopicSet {
  const t = (op: string) => `${prefix}/${path}/${op}`;
  return { ...(withCreate ? { CREATE: t('create') } : {}), UPDATE: t('update'), DELETE: t('delete'), ALL: t('+') };
}

/** The business logic's topics of a change (each carries the full object). */
export function blTopics(prefix: string, change: Change): string[] {
  const op = change.operation.toLowerCase();
  const id = change.object(null).id;
  const t = (path: string) => `${prefix}/${path}/${op}`;
  switch (change.objectType) {
    case 'PROGRAM':
      return [t('programs'), ...(op === 'create' ? [] : [t(`programs/${id}`)])];
    case 'EVENT':
      return [t('events'), ...(change.programId ? [t(`programs/${change.programId}/events`)] : [])];
    case 'REPORT':
      return [t('reports')];
    case 'SUBSCRIPTION':
      return [t('subscriptions')];
    case 'VEN':
      return [t('vens')];
    case 'RESOURCE':
      return [t('resources')];
  }
}

/** A VEN's topic for a change it may see (null: no topic of a VEN carries this object type). */
export function venTopic(prefix: string, venId: string, change: Change): string | null {
  const op = change.operation.toLowerCase();
  switch (change.objectType) {
    case 'PROGRAM':
      return `${prefix}/vens/${venId}/programs/${op}`;
    case 'EVENT':
      return `${prefix}/vens/${venId}/events/${op}`;
    case 'RESOURCE':
      return `${prefix}/vens/${venId}/resources/${op}`;
    case 'VEN':
      return op === 'create' ? null : `${prefix}/vens/${venId}/${op}`;
    default:
      return null;
  }
}

/** Whether a VEN (by its VEN id) may subscribe to a topic filter: only under its own vens/{venID}/. */
export function venMaySubscribe(prefix: string, venId: string, filter: string): boolean {
  // wildcards cannot reach above the level they stand on: a filter below vens/{venID}/ stays there
  return filter.startsWith(`${prefix}/vens/${venId}/`);
}
