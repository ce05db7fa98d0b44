import { apikeys, privileges, users } from '../../auth/entities';
import type { EntityDef } from '../types';
import { commands, datasources, gateways, points, protocols } from './acquisition';
import { contacts, costcenters, energycategories, energyitems, meters, offlinemeters, spaces, svgs, tariffs, timezones, virtualmeters } from './energy';

/** Every configuration entity of the MyEMS model. Adding an entity = declaring it and listing it here. */
export const entities: EntityDef[] = [
  privileges,
  users,
  apikeys,
  gateways,
  protocols,
  datasources,
  points,
  commands,
  energycategories,
  energyitems,
  timezones,
  contacts,
  tariffs,
  costcenters,
  meters,
  offlinemeters,
  virtualmeters,
  spaces,
  svgs,
];
