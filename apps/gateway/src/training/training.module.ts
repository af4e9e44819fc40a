// Training data, training runs and the model registry's admin actions. Relies on the root module's
// global CONFIG and API-key guard; holds its own connections (see training.infrastructure.ts).
import { Module } from '@nestjs/common';
import { TrainingApiV1Controller, TrainingPrototypeController } from './training.controllers';
import { trainingInfrastructureProviders } from './training.infrastructure';
import { TrainingService } from './training.service';

@Module({
  controllers: [TrainingPrototypeController, TrainingApiV1Controller],
  providers: [...trainingInfrastructureProviders, TrainingService],
  // The sites module starts site calibration runs through it.
  exports: [TrainingService],
})
export class TrainingModule {}
