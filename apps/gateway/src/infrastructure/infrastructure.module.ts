// One home for the gateway's connections to the outside world: every module injects the
// repositories exported here and nobody opens a pool, client or queue of its own.
import { Global, Module } from '@nestjs/common';
import { infrastructureProviders, exportedInfrastructure } from './infrastructure.providers';

@Global()
@Module({ providers: infrastructureProviders, exports: exportedInfrastructure })
export class InfrastructureModule {}
