// The dead-letter queue as the API shows it: jobs no worker could finish, for an operator to inspect.
import { Inject, Injectable } from '@nestjs/common';
import { PredictionQueueRepository } from '../infrastructure/prediction-queue.repository';
import type { DeadLetterPageDto } from './dto';

@Injectable()
export class DeadLetterService {
  constructor(@Inject(PredictionQueueRepository) private readonly queue: PredictionQueueRepository) {}

  async list({ limit = 50, offset = 0 }: { limit?: number; offset?: number }): Promise<DeadLetterPageDto> {
    const { items, total } = await this.queue.listDeadLetter({ limit, offset });
    return { items, total, limit, offset };
  }
}
