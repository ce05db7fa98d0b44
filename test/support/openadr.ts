import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { ROOT } from './process';

/**
 * The OpenADR 3 specification (shared/spec/openadr3.yaml, copied to test/fixtures/openadr3.yaml so that a fresh
 * clone and CI have it) compiled with ajv, to validate every VTN answer, and a local webhook receiver. The document's `nullable` (OpenAPI 3.0) becomes a type union; the
 * document's ven and resource schemas ask objectType to be both VEN (objectMetadata) and BL_VEN_REQUEST
 * (BlVenRequest), which nothing satisfies: the second enum is dropped (docs/dr.md).
 */
export function compileSpec() {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'openadr3.yaml'), 'utf8')) as { components: { schemas: Record<string, Record<string, unknown>> } };
  const walk = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(walk);
    if (!n || typeof n !== 'object') return n;
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) if (k !== 'nullable' && k !== 'discriminator' && k !== 'example') o[k] = walk(v);
    // OpenAPI 3.0's boolean exclusiveMaximum/exclusiveMinimum are JSON Schema's numbers
    if (o.exclusiveMaximum === true) [o.exclusiveMaximum, o.maximum] = [o.maximum, undefined];
    if (o.exclusiveMinimum === true) [o.exclusiveMinimum, o.minimum] = [o.minimum, undefined];
    for (const k of ['maximum', 'minimum']) if (o[k] === undefined) delete o[k];
    if ((n as { nullable?: boolean }).nullable) {
      if (typeof o.type === 'string') o.type = [o.type, 'null'];
      else return { anyOf: [o, { type: 'null' }] };
      if (Array.isArray(o.enum)) o.enum = [...o.enum, null];
    }
    return o;
  };
  const schemas = walk(doc.components.schemas) as Record<string, { properties: Record<string, Record<string, unknown>> }>;
  delete schemas.BlVenRequest.properties.objectType.enum;
  delete schemas.BlResourceRequest.properties.objectType.enum;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'oa', components: { schemas } });
  return (name: string, value: unknown, list = false) => {
    const v = ajv.compile(list ? { type: 'array', items: { $ref: `oa#/components/schemas/${name}` } } : { $ref: `oa#/components/schemas/${name}` });
    if (!v(value)) throw new Error(`${name}: ${ajv.errorsText(v.errors)} in ${JSON.stringify(value)}`);
    return value;
  };
}

export interface Hook {
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}
export async function receiver() {
  const got: Hook[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

