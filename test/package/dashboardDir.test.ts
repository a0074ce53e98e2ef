import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWeb } from '../../demo/buildWeb';
import { DASHBOARD_DIR } from '../../streams/sinks/dashboardDir';
import { metricsServer, type MetricsServer } from '../../streams/sinks/MetricsServer';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function get(server: MetricsServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) =>
    request({ host: '127.0.0.1', port: server.port, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end(),
  );
}

let servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('the dashboard page shipped with the package', () => {
  it('lives in dist/web of the package, found through its own exports', () => {
    expect(DASHBOARD_DIR).toBe(join(ROOT, 'dist', 'web'));
  });

  it('is what MetricsServer serves by default; staticDir null serves none', async () => {
    expect(await buildWeb()).toBe(DASHBOARD_DIR);
    const server = await metricsServer();
    servers.push(server);
    const page = await get(server, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="app.js"');
    expect((await get(server, '/app.js')).status).toBe(200);
    const bare = await metricsServer({ staticDir: null });
    servers.push(bare);
    expect(await get(bare, '/')).toEqual({ status: 404, body: 'rxgrad metrics server: connect a WebSocket to /ws?token=…' });
  });
});
