// Append-only trail of who did what (key creation, promotions, retraining), for admins and auditors.
import { and, count, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { normalisePage, type Page, type PageRequest } from '../pagination';
import { auditEvents, type AuditEvent, type NewAuditEvent } from '../schema';

export class AuditRepository {
  constructor(private readonly db: Database) {}

  async record(event: NewAuditEvent): Promise<AuditEvent> {
    const [created] = await this.db.insert(auditEvents).values(event).returning();
    return created!;
  }

  async list(
    filter: {
      subjectType?: string;
      subjectId?: string;
      action?: string;
      actorKeyId?: string;
      from?: Date;
      to?: Date;
    } = {},
    page?: PageRequest,
  ): Promise<Page<AuditEvent>> {
    const { limit, offset } = normalisePage(page);
    const where: SQL[] = [];
    if (filter.subjectType) where.push(eq(auditEvents.subjectType, filter.subjectType));
    if (filter.subjectId) where.push(eq(auditEvents.subjectId, filter.subjectId));
    if (filter.action) where.push(eq(auditEvents.action, filter.action));
    if (filter.actorKeyId) where.push(eq(auditEvents.actorKeyId, filter.actorKeyId));
    if (filter.from) where.push(gte(auditEvents.createdAt, filter.from));
    if (filter.to) where.push(lt(auditEvents.createdAt, filter.to));
    const condition = and(...where);
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(auditEvents)
        .where(condition)
        .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ total: count() }).from(auditEvents).where(condition),
    ]);
    return { items, limit, offset, total: totals?.total ?? 0 };
  }
}
