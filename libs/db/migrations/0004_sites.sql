CREATE TYPE "public"."site_calibration_status" AS ENUM('active', 'superseded', 'refused');--> statement-breakpoint
CREATE TABLE "site_calibrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"status" "site_calibration_status" NOT NULL,
	"base_model_version" text NOT NULL,
	"slope" double precision,
	"intercept" double precision,
	"threshold" double precision,
	"refusal_code" text,
	"refusal_reason" text,
	"normal_records" integer DEFAULT 0 NOT NULL,
	"abnormal_records" integer DEFAULT 0 NOT NULL,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"training_run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "site_calibrations_decision" CHECK ("site_calibrations"."status" = 'refused' or ("site_calibrations"."slope" > 0 and "site_calibrations"."intercept" is not null and "site_calibrations"."threshold" >= 0 and "site_calibrations"."threshold" <= 1))
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"device" text,
	"owner" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sites_name_format" CHECK ("sites"."name" ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,39}$')
);
--> statement-breakpoint
ALTER TABLE "training_samples" DROP CONSTRAINT "training_samples_recording_source_key";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "default_site_id" uuid;--> statement-breakpoint
ALTER TABLE "site_calibrations" ADD CONSTRAINT "site_calibrations_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_calibrations" ADD CONSTRAINT "site_calibrations_training_run_id_training_runs_id_fk" FOREIGN KEY ("training_run_id") REFERENCES "public"."training_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "site_calibrations_site_created_idx" ON "site_calibrations" USING btree ("site_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "site_calibrations_one_active_idx" ON "site_calibrations" USING btree ("site_id") WHERE "site_calibrations"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "sites_name_idx" ON "sites" USING btree ("name");--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_default_site_id_sites_id_fk" FOREIGN KEY ("default_site_id") REFERENCES "public"."sites"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_samples" ADD CONSTRAINT "training_samples_recording_source_site_key" UNIQUE NULLS NOT DISTINCT("recording_id","source","site");