// Placeholder until the validators land (helper "acquisition" replaces this file).
export function validateConnection(_protocol: string, _connection: unknown): string | null {
  return null;
}
export function validateAddress(_protocol: string, _address: unknown, _isVirtual: boolean): string | null {
  return null;
}
