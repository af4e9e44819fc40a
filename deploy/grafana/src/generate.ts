// Writes deploy/grafana/dashboards/heartbeat.json from heartbeat-dashboard.ts:
//   npm run dashboard:generate
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { dashboardJson } from './heartbeat-dashboard';

const target = path.resolve(__dirname, '../dashboards/heartbeat.json');
writeFileSync(target, dashboardJson());
console.log(`Wrote ${path.relative(process.cwd(), target)}`);
