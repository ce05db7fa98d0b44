/**
 * Uploaded files (MyEMS: knowledge files, offline meter files, energy plan files, cost files, data repair files):
 * upload (multipart/form-data or a raw body), list, get, delete, and restore to disk. The bytes are kept in
 * SQLite (one backup holds everything); "restore" writes a copy to <data dir>/files/<kind>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import { idParam, principalOf, requireAdmin } from '../api/server';
import type { Feature, RuntimeContext } from '../feature';
import type { FeatureMigrations } from '../store/store';
import { cleanFileName, diskName, dispositionFileName } from './names';

/** URL segment -> kind; the document spells the data repair files "datareapirfiles", both spellings work */
export const FILE_KINDS: Record<string, string> = {
  knowledgefiles: 'knowledge',
  offlinemeterfiles: 'offline_meter',
  energyplanfiles: 'energy_plan',
  costfiles: 'cost',
  datareapirfiles: 'data_repair',
  datarepairfiles: 'data_repair',
};

export const MAX_FILE_BYTES = 20 * 1024 * 1024;

const migrations: FeatureMigrations = {
  feature: 'files',
  migrations: [
    {
      version: 1,
      name: 'uploaded files',
      up: (db) =>
        db.exec(`CREATE TABLE uploaded_files (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          kind TEXT NOT NULL,
          uuid TEXT NOT NULL UNIQUE,
          file_name TEXT NOT NULL,
          content_type TEXT NOT NULL,
          size INTEGER NOT NULL,
          upload_datetime TEXT NOT NULL,
          user_display_name TEXT NOT NULL,
          file_object BLOB NOT NULL);
          CREATE INDEX ix_uploaded_files_kind ON uploaded_files(kind);`),
    },
  ],
};

interface Upload {
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

/** The first file part of a multipart/form-data body. */
export function firstFilePart(body: Buffer, contentType: string): Upload | null {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return null;
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd > 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const fileName = dispositionFileName(headers);
      if (fileName) {
        return {
          fileName,
          contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream',
          bytes: Buffer.from(part.subarray(headerEnd + 4)),
        };
      }
    }
    start = next;
  }
  return null;
}

function uploadOf(req: FastifyRequest): Upload {
  const type = String(req.headers['content-type'] ?? '');
  const body = req.body;
  if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest('API.INVALID_FILE', 'send the file as multipart/form-data (field "file") or as an application/octet-stream body', 'file');
  let upload: Upload | null;
  if (type.startsWith('multipart/form-data')) upload = firstFilePart(body, type);
  else {
    const q = (req.query as Record<string, unknown>).file_name;
    const name = typeof q === 'string' ? q : dispositionFileName(String(req.headers['content-disposition'] ?? ''));
    upload = name ? { fileName: name, contentType: type.split(';')[0] || 'application/octet-stream', bytes: body } : null;
  }
  if (!upload) throw badRequest('API.INVALID_FILE', 'the request carries no file with a file name', 'file');
  const fileName = cleanFileName(upload.fileName);
  if (!fileName) throw badRequest('API.INVALID_FILE_NAME', 'the file needs a name', 'file_name');
  if (upload.bytes.length === 0) throw badRequest('API.INVALID_FILE', 'the file is empty', 'file');
  if (upload.bytes.length > MAX_FILE_BYTES) throw badRequest('API.FILE_TOO_LARGE', `files are limited to ${MAX_FILE_BYTES / 1024 / 1024} MB`, 'file');
  return { ...upload, fileName };
}

interface FileRow {
  id: number;
  uuid: string;
  file_name: string;
  content_type: string;
  size: number;
  upload_datetime: string;
  user_display_name: string;
}

const COLUMNS = 'id, uuid, file_name, content_type, size, upload_datetime, user_display_name';

function registerFileRoutes(app: FastifyInstance, ctx: RuntimeContext): void {
  const db = ctx.store.db;
  for (const [segment, kind] of Object.entries(FILE_KINDS)) {
    const base = `/api/${segment}`;
    const mustRow = (id: number) => {
      const row = db.prepare(`SELECT ${COLUMNS} FROM uploaded_files WHERE id = ? AND kind = ?`).get(id, kind) as FileRow | undefined;
      if (!row) throw new ApiError(404, 'API.NOT_FOUND', 'API.FILE_NOT_FOUND', `file ${id} does not exist`);
      return row;
    };
    app.get(base, async (req) => {
      principalOf(req);
      return db.prepare(`SELECT ${COLUMNS} FROM uploaded_files WHERE kind = ? ORDER BY id`).all(kind);
    });
    app.get(`${base}/:id`, async (req) => {
      principalOf(req);
      return mustRow(idParam((req.params as { id: string }).id));
    });
    app.get(`${base}/:id/download`, async (req, reply) => {
      principalOf(req);
      const row = mustRow(idParam((req.params as { id: string }).id));
      const { file_object } = db.prepare('SELECT file_object FROM uploaded_files WHERE id = ?').get(row.id) as { file_object: Buffer };
      return reply
        .header('Content-Type', 'application/octet-stream')
        .header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(row.file_name)}`)
        .header('X-Content-Type-Options', 'nosniff')
        .send(file_object);
    });
    app.post(base, { bodyLimit: MAX_FILE_BYTES + 1024 * 1024 }, async (req, reply) => {
      const p = principalOf(req);
      const up = uploadOf(req);
      const uuid = randomUUID();
      const now = new Date().toISOString().slice(0, 19);
      const id = ctx.store.tx(() => {
        const newId = Number(
          db.prepare('INSERT INTO uploaded_files (kind, uuid, file_name, content_type, size, upload_datetime, user_display_name, file_object) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(kind, uuid, up.fileName, up.contentType, up.bytes.length, now, p.userName, up.bytes)
            .lastInsertRowid,
        );
        ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'file.upload', target: `${segment}:${newId}`, newValue: up.fileName, result: 'ok', details: { size: up.bytes.length } });
        return newId;
      });
      // listeners (the energy pipeline reads offline-meter files) learn of it as of a configuration change
      ctx.registry.emit(`files:${kind}`, 'create', id);
      reply.code(201).header('Location', `${base}/${id}`);
      return mustRow(id);
    });
    app.delete(`${base}/:id`, async (req, reply) => {
      const p = principalOf(req);
      const row = mustRow(idParam((req.params as { id: string }).id));
      ctx.store.tx(() => {
        db.prepare('DELETE FROM uploaded_files WHERE id = ?').run(row.id);
        ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'file.delete', target: `${segment}:${row.id}`, oldValue: row.file_name, result: 'ok' });
      });
      ctx.registry.emit(`files:${kind}`, 'delete', row.id);
      return reply.code(204).send();
    });
    app.get(`${base}/:id/restore`, async (req) => {
      const p = requireAdmin(req);
      const row = mustRow(idParam((req.params as { id: string }).id));
      const { file_object } = db.prepare('SELECT file_object FROM uploaded_files WHERE id = ?').get(row.id) as { file_object: Buffer };
      // the stored name is a label only: the copy gets a safe, bounded name, and stays inside the data directory
      const dir = path.resolve(ctx.dataDir, 'files', kind);
      const target = path.join(dir, diskName(row.id, row.file_name));
      if (path.dirname(target) !== dir) throw new ApiError(500, 'API.INTERNAL_SERVER_ERROR', 'API.INVALID_RESTORE_PATH', 'the restore path left the data directory');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(target, file_object);
      ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'file.restore', target: `${segment}:${row.id}`, newValue: target, result: 'ok' });
      return { ...row, restored_path: target };
    });
  }
}

export const filesFeature: Feature = {
  name: 'files',
  migrations: [migrations],
  compose(ctx) {
    registerFileRoutes(ctx.app, ctx);
  },
};
