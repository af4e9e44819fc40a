CREATE TABLE "model_validation_scores" (
	"model_version_id" uuid NOT NULL,
	"record_id" text NOT NULL,
	"subset" text NOT NULL,
	"label" "training_label" NOT NULL,
	"score" double precision NOT NULL,
	"probability" double precision NOT NULL,
	CONSTRAINT "model_validation_scores_model_version_id_record_id_pk" PRIMARY KEY("model_version_id","record_id"),
	CONSTRAINT "model_validation_scores_probability_range" CHECK ("model_validation_scores"."probability" >= 0 and "model_validation_scores"."probability" <= 1)
);
--> statement-breakpoint
ALTER TABLE "model_validation_scores" ADD CONSTRAINT "model_validation_scores_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "predictions_model_version_created_at_idx" ON "predictions" USING btree ("model_version","created_at");