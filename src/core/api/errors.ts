/**
 * The MyEMS error shape: {"title":"API.BAD_REQUEST","description":"API.INVALID_METER_NAME"} plus a human
 * sentence in "message" and, where one field is at fault, its name in "field".
 */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly title: string,
    public readonly description: string,
    message?: string,
    public readonly field?: string,
    public readonly extra?: Record<string, unknown>,
  ) {
    super(message ?? description);
  }

  toJSON(): Record<string, unknown> {
    return {
      title: this.title,
      description: this.description,
      message: this.message,
      ...(this.field ? { field: this.field } : {}),
      ...(this.extra ?? {}),
    };
  }
}

export const badRequest = (description: string, message?: string, field?: string, extra?: Record<string, unknown>) =>
  new ApiError(400, 'API.BAD_REQUEST', description, message, field, extra);
export const notFound = (description: string, message?: string) => new ApiError(404, 'API.NOT_FOUND', description, message);
export const unauthorized = (description = 'API.INVALID_CREDENTIALS', message = 'valid User-UUID and Token headers, or an API-Key header, are required') =>
  new ApiError(401, 'API.UNAUTHORIZED', description, message);
export const forbidden = (description = 'API.FORBIDDEN', message = 'your account may not do this') =>
  new ApiError(403, 'API.FORBIDDEN', description, message);

/** 'energy_category_id' -> 'ENERGY_CATEGORY_ID' */
export const code = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toUpperCase();
