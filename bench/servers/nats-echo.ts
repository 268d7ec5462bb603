import { connect } from 'nats';
import { createParser, Readiness } from '@voxgate/protocol';
import { addJsonEndpoint, createLogger, registerService } from '@voxgate/service-kit';
import { reportReady } from '../lib/child.js';

/**
 * The answering side of `nats-request`, in its own process as a service would be: a raw echo
 * (`nc.subscribe` + `msg.respond` of the same bytes) and the kit's JSON endpoint echoing the parsed
 * body. Usage: nats-echo.ts <nats-url> <raw-subject> <kit-subject>.
 */

const [url, rawSubject, kitSubject] = process.argv.slice(2);
if (!url || !rawSubject || !kitSubject) throw new Error('usage: nats-echo.ts <nats-url> <raw-subject> <kit-subject>');

const nc = await connect({ servers: url, name: 'bench-echo' });

nc.subscribe(rawSubject, {
  callback: (err, msg) => {
    if (!err) msg.respond(msg.data);
  },
});

const log = createLogger('bench', 'warn');
const service = await registerService(nc, { name: 'bench-echo', version: '0.0.0', description: 'nats-request benchmark echo' });
addJsonEndpoint<typeof Readiness, typeof Readiness>(service, log, {
  name: 'echo',
  subject: kitSubject,
  request: createParser(Readiness),
  handler: async (request) => request,
});

// Both subscriptions have reached the server once the flush returns, so the first request finds them.
await nc.flush();
process.once('SIGTERM', () => void nc.drain().then(() => process.exit(0)));
reportReady({});
