'use server';
// Starting and cancelling training runs and site calibrations (admin; the gateway checks again).
import { revalidatePath } from 'next/cache';
import { GatewayError } from '@heartbeat/api-client';
import { gatewayFor, requireSession } from '../../lib/server-session';
import { retrainParamsFromForm } from '../../lib/training-form';

export interface TrainingActionState {
  ok: boolean | null;
  message: string;
}

async function attempt(
  work: (gateway: ReturnType<typeof gatewayFor>) => Promise<string>,
): Promise<TrainingActionState> {
  const session = await requireSession();
  try {
    const message = await work(gatewayFor(session));
    revalidatePath('/training');
    return { ok: true, message };
  } catch (error) {
    if (error instanceof GatewayError) return { ok: false, message: `${error.message} (${error.code})` };
    throw error;
  }
}

export async function startTraining(
  _state: TrainingActionState,
  form: FormData,
): Promise<TrainingActionState> {
  const parsed = retrainParamsFromForm(form);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  return attempt(async (gateway) => {
    const run = await gateway.startTraining(parsed.params);
    return `Training run ${run.id.slice(0, 8)} is ${run.status}.`;
  });
}

export async function cancelTraining(runId: string): Promise<TrainingActionState> {
  return attempt(async (gateway) => {
    const run = await gateway.cancelTraining(runId);
    return run.status === 'cancelled'
      ? 'The run was cancelled before it started.'
      : 'Cancel requested: the run stops at its next batch.';
  });
}

export async function startCalibration(
  _state: TrainingActionState,
  form: FormData,
): Promise<TrainingActionState> {
  const site = String(form.get('site') ?? '').trim();
  const margin = String(form.get('sensitivityMargin') ?? '').trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/.test(site))
    return {
      ok: false,
      message: 'The site tag is 1-40 letters, digits or dashes, as given when its recordings were uploaded.',
    };
  return attempt(async (gateway) => {
    const run = await gateway.startSiteCalibration(site, margin ? Number(margin) : undefined);
    return `Calibration for ${site} is ${run.status} (run ${run.id.slice(0, 8)}).`;
  });
}
