// Offset pagination shared by every list method: small pages by default, a hard ceiling always.
export interface PageRequest {
  limit?: number;
  offset?: number;
}

export interface Page<T> {
  items: T[];
  limit: number;
  offset: number;
  total: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export function normalisePage({ limit = DEFAULT_PAGE_SIZE, offset = 0 }: PageRequest = {}): {
  limit: number;
  offset: number;
} {
  return {
    limit: Math.min(Math.max(1, Math.trunc(limit)), MAX_PAGE_SIZE),
    offset: Math.max(0, Math.trunc(offset)),
  };
}
