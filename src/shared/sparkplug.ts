/** A Sparkplug edge node's live status as the server sends it (GET /api/sparkplugnodes/{id}/status) and the screen reads it. */
export type EdgeState = 'connecting' | 'online' | 'waiting_for_host' | 'offline' | 'stopped';

export interface EdgeStatus {
  id: number;
  name: string;
  state: EdgeState;
  broker_url: string;
  group_id: string;
  edge_node_id: string;
  bd_seq: number | null;
  seq: number;
  devices: number;
  metrics: number;
  last_birth: string | null;
  last_error: string | null;
  published: { messages: number; values: number; historical_values: number };
  outbox: { messages: number; values: number; bytes: number; oldest: string | null; dropped: number };
}
