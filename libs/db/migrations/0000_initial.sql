CREATE TYPE "public"."api_key_role" AS ENUM('screening', 'admin');--> statement-breakpoint
CREATE TYPE "public"."batch_status" AS ENUM('pending', 'running', 'completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."model_version_status" AS ENUM('candidate', 'promoted', 'retired', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."prediction_label" AS ENUM('normal', 'abnormal', 'unsure');--> statement-breakpoint
CREATE TYPE "public"."prediction_status" AS ENUM('pending', 'succeeded', 'failed');--> statement-breakpoint
CREATE TYPE "public"."training_label" AS ENUM('normal', 'abnormal');--> statement-breakpoint
CREATE TYPE "public"."training_run_kind" AS ENUM('retrain', 'calibration');--> statement-breakpoint
CREATE TYPE "public"."training_run_status" AS ENUM('queued', 'running', 'succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."training_sample_source" AS ENUM('base', 'upload');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"key_prefix" text NOT NULL,
	"role" "api_key_role" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"actor_key_id" uuid,
	"action" text NOT NULL,
	"subject_type" text,
	"subject_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" "batch_status" DEFAULT 'pending' NOT NULL,
	"idempotency_key" text,
	"total_count" integer DEFAULT 0 NOT NULL,
	"succeeded_count" integer DEFAULT 0 NOT NULL,
	"failed_count" integer DEFAULT 0 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "batches_counts_non_negative" CHECK ("batches"."total_count" >= 0 and "batches"."succeeded_count" >= 0 and "batches"."failed_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" text NOT NULL,
	"status" "model_version_status" DEFAULT 'candidate' NOT NULL,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"artifact_keys" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"dataset_fingerprint" text,
	"calibration" jsonb,
	"status_reason" text,
	"training_run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"promoted_at" timestamp with time zone,
	"retired_at" timestamp with time zone,
	CONSTRAINT "model_versions_semver" CHECK ("model_versions"."version" ~ '^[0-9]+\.[0-9]+\.[0-9]+([-+].*)?$')
);
--> statement-breakpoint
CREATE TABLE "predictions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"recording_id" uuid NOT NULL,
	"batch_id" uuid,
	"job_id" text,
	"status" "prediction_status" DEFAULT 'pending' NOT NULL,
	"model_version" text,
	"label" "prediction_label",
	"probability" real,
	"window_scores" jsonb,
	"quality_score" real,
	"latency_ms" integer,
	"error_code" text,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "predictions_probability_range" CHECK ("predictions"."probability" is null or ("predictions"."probability" >= 0 and "predictions"."probability" <= 1))
);
--> statement-breakpoint
CREATE TABLE "recordings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"storage_key" text NOT NULL,
	"sha256" text NOT NULL,
	"original_file_name" text NOT NULL,
	"format" text NOT NULL,
	"sample_rate" integer,
	"channels" integer,
	"duration_seconds" double precision,
	"size_bytes" bigint NOT NULL,
	"uploaded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recordings_sha256_hex" CHECK ("recordings"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "training_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" "training_run_kind" DEFAULT 'retrain' NOT NULL,
	"status" "training_run_status" DEFAULT 'queued' NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metrics" jsonb,
	"log" text DEFAULT '' NOT NULL,
	"error" text,
	"site" text,
	"checkpoint_key" text,
	"requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "training_runs_progress_range" CHECK ("training_runs"."progress" >= 0 and "training_runs"."progress" <= 1)
);
--> statement-breakpoint
CREATE TABLE "training_samples" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"recording_id" uuid NOT NULL,
	"label" "training_label" NOT NULL,
	"source" "training_sample_source" DEFAULT 'upload' NOT NULL,
	"site" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "training_samples_recording_source_key" UNIQUE("recording_id","source")
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_actor_key_id_api_keys_id_fk" FOREIGN KEY ("actor_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batches" ADD CONSTRAINT "batches_created_by_api_keys_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_training_run_id_training_runs_id_fk" FOREIGN KEY ("training_run_id") REFERENCES "public"."training_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_recording_id_recordings_id_fk" FOREIGN KEY ("recording_id") REFERENCES "public"."recordings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."batches"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_uploaded_by_api_keys_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_runs" ADD CONSTRAINT "training_runs_requested_by_api_keys_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_samples" ADD CONSTRAINT "training_samples_recording_id_recordings_id_fk" FOREIGN KEY ("recording_id") REFERENCES "public"."recordings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_idx" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "audit_events_created_at_idx" ON "audit_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "audit_events_subject_idx" ON "audit_events" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "batches_idempotency_key_idx" ON "batches" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "batches_created_at_idx" ON "batches" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_version_idx" ON "model_versions" USING btree ("version");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_promoted_idx" ON "model_versions" USING btree ("status") WHERE "model_versions"."status" = 'promoted';--> statement-breakpoint
CREATE INDEX "predictions_recording_id_idx" ON "predictions" USING btree ("recording_id");--> statement-breakpoint
CREATE INDEX "predictions_batch_id_idx" ON "predictions" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "predictions_created_at_idx" ON "predictions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "predictions_label_created_at_idx" ON "predictions" USING btree ("label","created_at");--> statement-breakpoint
CREATE INDEX "recordings_sha256_idx" ON "recordings" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "recordings_created_at_idx" ON "recordings" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "training_runs_status_idx" ON "training_runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "training_runs_created_at_idx" ON "training_runs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "training_samples_site_idx" ON "training_samples" USING btree ("site");