/**
 * Dashboard clients for bench/dashboard.ts, in their own process (as browsers would be):
 * `tsx bench/dashboardClients.ts <page url> <n>` connects n WebSocket clients, parses every
 * message as a page does, prints `ready` once all got `hello`, and on SIGTERM prints the
 * points received and exits.
 */
import { WebSocket } from 'ws';

const [url, n] = process.argv.slice(2);
const wsUrl = url.replace(/^http/, 'ws').replace('/?', '/ws?');
let hellos = 0;
let points = 0;
for (let i = 0; i < Number(n); i++) {
  const ws = new WebSocket(wsUrl);
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type === 'hello' && ++hellos === Number(n)) console.log('ready');
    if (msg.type === 'points') points += msg.points.length;
  });
  ws.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
  });
}
process.on('SIGTERM', () => {
  console.log(`points ${points}`);
  process.exit(0);
});
