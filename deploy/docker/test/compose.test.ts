// docker-compose.yml: dclint clean, and consistent with the Dockerfile and the chart (same targets,
// hardening, every app with a health check). The stack itself runs in `npm run deploy:smoke`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const DOCKERFILE = readFileSync(path.join(ROOT, 'deploy', 'docker', 'Dockerfile'), 'utf8');

type Service = {
  build?: { dockerfile: string; target: string };
  image?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  healthcheck?: unknown;
  volumes?: string[];
};
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const APPS = ['gateway', 'inference-worker', 'training-worker', 'console', 'migrate'];

describe('docker-compose.yml', () => {
  it('is dclint clean', () => {
    // `name:` is left out on purpose: Debian's docker-compose 1.29 rejects it (COMPOSE_PROJECT_NAME sets it).
    const run = () =>
      execFileSync(
        path.join(ROOT, 'node_modules', '.bin', 'dclint'),
        [
          COMPOSE_FILE,
          '--max-warnings',
          '0',
          '--disable-rule',
          'require-project-name-field',
          '--color',
          'false',
        ],
        { encoding: 'utf8', stdio: 'pipe' },
      );
    expect(run).not.toThrow();
  });

  it('builds every app from a target of deploy/docker/Dockerfile', () => {
    const targets = [...DOCKERFILE.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]);
    for (const app of APPS) {
      const build = compose.services[app]?.build;
      expect(build?.dockerfile, app).toBe('deploy/docker/Dockerfile');
      expect(targets, app).toContain(build?.target);
    }
  });

  it('runs the apps read-only, without capabilities or privilege escalation', () => {
    for (const app of APPS) {
      const service = compose.services[app]!;
      expect(service.read_only, app).toBe(true);
      expect(service.cap_drop, app).toEqual(['ALL']);
      expect(service.security_opt, app).toContain('no-new-privileges:true');
    }
  });

  it('has the whole stack, with Prometheus and Grafana reading deploy/prometheus and deploy/grafana/dashboards', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [...APPS, 'postgres', 'redis', 'minio', 'minio-create-bucket', 'prometheus', 'grafana'].sort(),
    );
    expect(compose.services.prometheus!.volumes).toContain('./deploy/prometheus:/etc/heartbeat/rules:ro');
    expect(compose.services.grafana!.volumes).toContain(
      './deploy/grafana/dashboards:/var/lib/grafana/dashboards/heartbeat:ro',
    );
    for (const dependency of ['postgres', 'redis', 'minio'])
      expect(compose.services[dependency]!.healthcheck, dependency).toBeDefined();
  });

  it('gives every long-running app image a HEALTHCHECK and a non-root user under tini', () => {
    for (const target of ['gateway', 'inference-worker', 'training-worker', 'console']) {
      const stage = DOCKERFILE.split(/^FROM /m).find((block) =>
        block.split('\n')[0]!.endsWith(` AS ${target}`),
      );
      expect(stage, target).toMatch(/HEALTHCHECK/);
    }
    expect(DOCKERFILE.match(/^USER 10001:10001$/gm)?.length).toBeGreaterThanOrEqual(3);
    expect(DOCKERFILE.match(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/gm)?.length).toBeGreaterThanOrEqual(3);
  });
});
