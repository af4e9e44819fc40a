// Training data, training runs and the model registry's admin actions. Relies on the root module's
// global CONFIG and API-key guard, and on the global infrastructure module's repositories.
import { Module } from '@nestjs/common';
import { TrainingApiV1Controller, TrainingPrototypeController } from './training.controllers';
import { TrainingService } from './training.service';

@Module({
  controllers: [TrainingPrototypeController, TrainingApiV1Controller],
  providers: [TrainingService],
  // The sites module starts site calibration runs through it.
  exports: [TrainingService],
})
export class TrainingModule {}
