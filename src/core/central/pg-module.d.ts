/** The part of node-postgres (`pg`, which ships no types) the central store and store/pg/partitions.ts use. */
declare module 'pg' {
  export interface QueryResult<R = Record<string, unknown>> {
    rows: R[];
    rowCount: number | null;
  }
  export interface PoolConfig {
    connectionString?: string;
    max?: number;
    connectionTimeoutMillis?: number;
    idleTimeoutMillis?: number;
    application_name?: string;
  }
  /** a query whose rows come back as arrays */
  export interface ArrayQuery {
    text: string;
    values?: unknown[];
    rowMode: 'array';
  }
  export interface PoolClient {
    query(config: ArrayQuery): Promise<QueryResult<unknown[]>>;
    /** a pg-copy-streams COPY stream is submitted as a query and answered as itself */
    query<S extends NodeJS.WritableStream>(stream: S): S;
    query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    release(err?: Error | boolean): void;
  }
  export class Pool {
    constructor(config?: PoolConfig);
    query(config: ArrayQuery): Promise<QueryResult<unknown[]>>;
    query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    connect(): Promise<PoolClient>;
    end(): Promise<void>;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  const pg: { Pool: typeof Pool };
  export default pg;
}
