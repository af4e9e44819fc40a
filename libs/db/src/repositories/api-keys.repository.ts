// API keys: only hashes are stored; hashing and role checks belong to the gateway's auth service.
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys, type ApiKey, type NewApiKey } from '../schema';

export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  async create(key: NewApiKey): Promise<ApiKey> {
    const [created] = await this.db.insert(apiKeys).values(key).returning();
    return created!;
  }

  /** The key with this hash, unless it was revoked or has expired. */
  async findActiveByHash(keyHash: string): Promise<ApiKey | undefined> {
    const [key] = await this.db
      .select()
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.keyHash, keyHash),
          isNull(apiKeys.revokedAt),
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
        ),
      );
    return key;
  }

  /**
   * Makes an active key expire at `at` (sooner only: an earlier expiry is kept). Undefined when the
   * key is unknown or revoked.
   */
  async expire(id: string, at: Date): Promise<ApiKey | undefined> {
    const [key] = await this.db
      .update(apiKeys)
      .set({ expiresAt: sql`least(coalesce(${apiKeys.expiresAt}, ${at}), ${at})` })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning();
    return key;
  }

  async findById(id: string): Promise<ApiKey | undefined> {
    const [key] = await this.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    return key;
  }

  async list(): Promise<ApiKey[]> {
    return this.db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
  }

  async touchLastUsed(id: string, at = new Date()): Promise<void> {
    await this.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
  }

  async revoke(id: string, at = new Date()): Promise<ApiKey | undefined> {
    const [key] = await this.db
      .update(apiKeys)
      .set({ revokedAt: at })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning();
    return key;
  }
}
