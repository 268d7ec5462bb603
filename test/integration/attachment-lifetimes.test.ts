import { connect, type ObjectStore } from 'nats';
import t from 'tap';
import { JetStreamNames, type TurnStarted } from '@voxgate/protocol';
import { png, wav } from '../../services/gateway/test/media-fixtures.js';
import { pollTurn } from '../../services/gateway/test/sse-client.js';
import { AttachmentStore as LlmTextAttachments } from '../../services/llm-text/src/attachments.js';
import { waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

// How long images and voice messages are kept: gateway → NATS → llm-text → provider simulator, as
// real processes, with a grace of 2 s (a sweep every second) and a store capped at 3 MB.
const GRACE_S = 2;
const stack = await startStack({
  services: ['gateway', 'llm-text'],
  waitReady: false,
  env: { ATTACHMENT_GRACE_S: String(GRACE_S), ATTACHMENTS_MAX_MB: '3', RATE_LIMIT_PER_MINUTE: '0' },
});
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
await waitFor('llm-text behind the gateway', async () => {
  const body = (await (await fetch(`${base}/api/models`)).json()) as { models?: { id: string }[] };
  return body.models?.some((m) => m.id === 'gpt-4o-mini') ? true : undefined;
});
const nc = await connect({ servers: stack.nats.url });
t.teardown(() => nc.close());
const bucket: ObjectStore = await nc.jetstream().views.os(JetStreamNames.attachmentsBucket);

const jsm = await nc.jetstreamManager();
const STREAM = `OBJ_${JetStreamNames.attachmentsBucket}`;
const RECORDS = `$O.${JetStreamNames.attachmentsBucket}.M.`;
/** The ids in the bucket now, from its records' subjects (the names base64url-encoded). */
const stored = async () => {
  const subjects = (await jsm.streams.info(STREAM, { subjects_filter: `${RECORDS}>` })).state.subjects ?? {};
  return new Set(Object.keys(subjects).map((subject) => Buffer.from(subject.slice(RECORDS.length), 'base64url').toString()));
};
/** Messages of the bucket's stream: records and chunks, and a deletion record for each object deleted the plain way. */
const bucketMessages = async () => (await bucket.status()).streamInfo.state.messages;

const dataUrl = (bytes: Buffer, mime = 'image/png') => `data:${mime};base64,${bytes.toString('base64')}`;
const imagePart = (bytes: Buffer) => ({ type: 'image_url', image_url: { url: dataUrl(bytes) } });
const completion = (body: Record<string, unknown>) =>
  fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const answerOf = async (response: Response) => ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
const upload = (bytes: Uint8Array, type: string) => fetch(`${base}/api/attachments`, { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(bytes) });
const fault = (body: Record<string, unknown>) =>
  fetch(`${stack.simulatorUrl}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

t.test('/v1: an inline image reaches the model, and once its answer has ended nothing of it is left', async (t) => {
  const before = await stored();
  const messagesBefore = await bucketMessages();
  const image = png(64, 48);
  const response = await completion({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, imagePart(image)] }] });
  t.equal(response.status, 200);
  t.match(await answerOf(response), new RegExp(`Image 1: \\w+ 64x48, ${image.length} bytes`), 'the provider received the image');
  // Its record goes first, then its chunks: the count of messages is back where it was once both have.
  const left = await waitFor('the image deleted', async () => ((await bucketMessages()) === messagesBefore ? true : undefined), { timeoutMs: 5_000 }).catch(
    async () => bucketMessages(),
  );
  t.equal(left, true, `no record, chunk or deletion record of it left (${messagesBefore} messages before)`);
  t.same([...(await stored())].sort(), [...before].sort(), 'no attachment of the request left');

  const streamed = await completion({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'And this?' }, imagePart(png(40, 30))] }] });
  const events = (await streamed.text()).split('\n').flatMap((line) => (line.startsWith('data: ') ? [line.slice(6)] : []));
  t.equal(events.at(-1), '[DONE]', 'the stream ends');
  const text = events
    .slice(0, -1)
    .map((data) => (JSON.parse(data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
    .join('');
  t.match(text, /Image 1: \w+ 40x30/, 'the streamed answer describes the image');
  await waitFor('the streamed request\'s image deleted', async () => ((await stored()).size === before.size ? true : undefined));
});

t.test('/v1: the same image in a resent history and in a concurrent request is stored once while they run', async (t) => {
  const before = await stored();
  t.equal((await fault({ model: 'gpt-4o-mini', kind: 'slow_tokens', delayMs: 30, times: 2 })).status, 201);
  const image = png(50, 50);
  const history = completion({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Look' }, imagePart(image)] },
      { role: 'assistant', content: 'A grey square.' },
      { role: 'user', content: [{ type: 'text', text: 'Look again [sim:tokens=60]' }, imagePart(image)] },
    ],
  });
  const other = completion({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'Same picture [sim:tokens=60]' }, imagePart(image)] }] });
  let most = 0;
  let running = true;
  const watching = (async () => {
    while (running) {
      const now = await stored();
      most = Math.max(most, [...now].filter((id) => !before.has(id)).length);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const [first, second] = await Promise.all([history, other]);
  running = false;
  await watching;
  t.equal(first.status, 200);
  t.equal(second.status, 200);
  t.match(await answerOf(first), /2 images/, 'the model got the image in both messages of the history');
  t.match(await answerOf(second), /1 image/);
  t.equal(most, 1, 'one stored copy for the three occurrences, while the turns ran');
  await waitFor('the shared copy deleted after both', async () => ((await stored()).size === before.size ? true : undefined));
});

t.test('an upload never sent, or sent in a refused turn, is swept after the grace; one a stored exchange refers to stays', async (t) => {
  const ids = async (response: Response) => ((await response.json()) as { id: string }).id;
  const kept = await ids(await upload(png(20, 20), 'image/png'));
  const unsent = await ids(await upload(png(21, 21), 'image/png'));
  const refusedWith = await ids(await upload(png(22, 22), 'image/png'));
  const turn = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', message: { role: 'user', content: [{ type: 'text', text: 'Keep this' }, { type: 'image', attachmentId: kept }] } }),
  });
  t.equal(turn.status, 200);
  const started = (await turn.json()) as TurnStarted;
  t.equal((await pollTurn(base, started.turnId)).at(-1)?.type, 'done', 'the exchange with the kept image is stored');
  const refused = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'glm-4-flash', message: { role: 'user', content: [{ type: 'text', text: 'No eyes' }, { type: 'image', attachmentId: refusedWith }] } }),
  });
  t.has(await refused.json(), { error: { code: 'unsupported_input' } }, 'a text-only model refuses the image');

  const status = (id: string) => fetch(`${base}/api/attachments/${id}`).then((r) => r.status);
  await waitFor('the unsent and the refused upload swept', async () => ((await status(unsent)) === 404 && (await status(refusedWith)) === 404 ? true : undefined), {
    timeoutMs: 20_000,
  });
  // Two more graces: every sweep in them has seen the kept one old, and left it.
  await new Promise((r) => setTimeout(r, 2 * GRACE_S * 1000));
  t.equal(await status(kept), 200, 'the image of the stored exchange stays');
  const now = await stored();
  t.ok(now.has(kept) && !now.has(unsent) && !now.has(refusedWith), 'the bucket holds the kept one only');
});

t.test('a full store refuses uploads and /v1 files with attachment_store_full (507); the sweep frees it', async (t) => {
  // 1.2 MB each: two fit under the 3 MB cap, the third does not.
  const voice = (i: number) => wav(37_500).fill(i, 44);
  const answers: number[] = [];
  let refusal: { error?: { code?: string; message?: string } } | undefined;
  for (let i = 1; i <= 4 && refusal === undefined; i++) {
    const response = await upload(voice(i), 'audio/wav');
    answers.push(response.status);
    if (response.status !== 201) refusal = (await response.json()) as typeof refusal;
  }
  t.same(answers, [201, 201, 507], 'two stored, the third refused');
  t.match(refusal, { error: { code: 'attachment_store_full', message: /ATTACHMENTS_MAX_MB/ } });

  const inline = await completion({
    model: 'gpt-4o-audio-preview',
    messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: voice(9).toString('base64'), format: 'wav' } }] }],
  });
  t.equal(inline.status, 507, '/v1 refuses a new file too');
  t.has(await inline.json(), { error: { code: 'attachment_store_full', type: 'api_error' } });

  // The two uploads were never sent: after the grace the sweep takes them, and there is room again.
  const accepted = await waitFor('room again', async () => ((await upload(voice(10), 'audio/wav')).status === 201 ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });
  t.ok(accepted, 'an upload is stored again');
});

t.test("llm-text: an attachment whose bytes go while it is read is answered as gone, not waited on for ever", async (t) => {
  const reader = await LlmTextAttachments.open(nc);
  const id = `vanishing${Date.now()}`;
  await reader.write({ id, kind: 'image', mime: 'image/png', bytes: 10 }, Buffer.alloc(10, 1));
  const info = await bucket.info(id);
  // What a deletion racing the read leaves: the record, its chunks purged.
  await jsm.streams.purge(STREAM, { filter: `$O.${JetStreamNames.attachmentsBucket}.C.${info?.nuid}` });
  t.equal(await reader.read(id), undefined, 'read answers undefined (attachment_not_found for the turn)');
  await reader.delete(id);
  t.equal(await bucket.info(id), null, 'and delete takes the record');
});
