import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark target, run as its own process so that neither load generator shares an event
 * loop with it. Prints its port on the first line of stdout; exits when its parent closes stdin.
 */
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
