// Creating, checking and revoking API keys. Only hashes reach the database; a verified key is
// cached briefly so a burst of requests costs one lookup, and last-used is written at most once a minute.
import { Inject, Injectable } from '@nestjs/common';
import { ApiKeysRepository, AuditRepository, type ApiKey, type ApiKeyRole } from '@heartbeat/db';
import { ApiError, notFound } from '../common/api-error';
import { displayPrefix, generateApiKeySecret, hashApiKey } from './api-key-secret';
import type { Principal } from './principal';

export interface PublicApiKey {
  id: string;
  name: string;
  role: ApiKeyRole;
  keyPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** When it stops authenticating; null: never. */
  expiresAt: string | null;
}

export interface CreatedApiKey {
  apiKey: PublicApiKey;
  /** The secret itself: shown once, never stored. */
  secret: string;
}

const CACHE_MS = 10_000;
const TOUCH_INTERVAL_MS = 60_000;

export function toPublicApiKey(key: ApiKey): PublicApiKey {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    keyPrefix: key.keyPrefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
  };
}

/** The longest a rotated key may stay valid beside its replacement. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 60 * 60;

@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { principal: Principal | undefined; until: number }>();
  private readonly now: () => number = Date.now;
  private readonly lastTouched = new Map<string, number>();

  constructor(
    @Inject(ApiKeysRepository) private readonly apiKeys: ApiKeysRepository,
    @Inject(AuditRepository) private readonly audit: AuditRepository,
  ) {}

  async create({
    role,
    name,
    secret,
    actorKeyId,
    expiresAt,
  }: {
    role: ApiKeyRole;
    name: string;
    secret?: string;
    actorKeyId?: string;
    expiresAt?: Date;
  }): Promise<CreatedApiKey> {
    if (expiresAt && expiresAt.getTime() <= this.now())
      throw new ApiError(
        400,
        'API_KEY_EXPIRY_PAST',
        `expiresAt ${expiresAt.toISOString()} is not in the future: give a later time, or none for a key that does not expire.`,
      );
    const value = secret ?? generateApiKeySecret();
    const key = await this.apiKeys.create({
      name,
      role,
      keyHash: hashApiKey(value),
      keyPrefix: displayPrefix(value),
      expiresAt,
    });
    await this.audit.record({
      actorKeyId,
      action: 'api_key.created',
      subjectType: 'api_key',
      subjectId: key.id,
      details: { name, role, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return { apiKey: toPublicApiKey(key), secret: value };
  }

  /**
   * Replaces a key with a new secret of the same name and role; the old one keeps working for
   * `graceSeconds` (0: stops at once), so clients can switch over without an outage.
   */
  async rotate(
    id: string,
    { graceSeconds = 0, actorKeyId }: { graceSeconds?: number; actorKeyId?: string } = {},
  ): Promise<CreatedApiKey & { replaced: PublicApiKey }> {
    const old = await this.apiKeys.findById(id);
    if (!old || old.revokedAt || (old.expiresAt && old.expiresAt.getTime() <= this.now()))
      throw notFound('API_KEY_NOT_FOUND', 'active API key', id);
    const value = generateApiKeySecret();
    const key = await this.apiKeys.create({
      name: old.name,
      role: old.role,
      keyHash: hashApiKey(value),
      keyPrefix: displayPrefix(value),
      expiresAt: old.expiresAt ?? undefined,
      defaultSiteId: old.defaultSiteId,
    });
    const replaced = (await this.apiKeys.expire(id, new Date(this.now() + graceSeconds * 1000))) ?? old;
    this.cache.clear();
    await this.audit.record({
      actorKeyId,
      action: 'api_key.rotated',
      subjectType: 'api_key',
      subjectId: id,
      details: { replacedBy: key.id, graceSeconds },
    });
    return { apiKey: toPublicApiKey(key), secret: value, replaced: toPublicApiKey(replaced) };
  }

  /**
   * Makes sure the operator-supplied bootstrap key exists (as an admin key); returns true when it
   * had to be created.
   */
  async ensureBootstrapKey(secret: string): Promise<boolean> {
    if (await this.apiKeys.findActiveByHash(hashApiKey(secret))) return false;
    await this.create({ role: 'admin', name: 'bootstrap', secret });
    return true;
  }

  /** The principal behind a presented secret, or undefined when it is unknown or revoked. */
  async authenticate(secret: string, now = Date.now()): Promise<Principal | undefined> {
    const hash = hashApiKey(secret);
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const key = await this.apiKeys.findActiveByHash(hash);
    const principal = key ? { keyId: key.id, name: key.name, role: key.role } : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    // An expiring key is not served from the cache past its expiry.
    this.cache.set(hash, {
      principal,
      until: Math.min(now + CACHE_MS, key?.expiresAt?.getTime() ?? Infinity),
    });
    if (principal && (this.lastTouched.get(principal.keyId) ?? 0) + TOUCH_INTERVAL_MS <= now) {
      this.lastTouched.set(principal.keyId, now);
      void this.apiKeys.touchLastUsed(principal.keyId).catch(() => undefined);
    }
    return principal;
  }

  async list(): Promise<PublicApiKey[]> {
    return (await this.apiKeys.list()).map(toPublicApiKey);
  }

  async revoke(id: string, actorKeyId?: string): Promise<PublicApiKey> {
    const key = await this.apiKeys.revoke(id);
    if (!key) throw notFound('API_KEY_NOT_FOUND', 'active API key', id);
    this.cache.clear();
    await this.audit.record({
      actorKeyId,
      action: 'api_key.revoked',
      subjectType: 'api_key',
      subjectId: id,
      details: {},
    });
    return toPublicApiKey(key);
  }
}
