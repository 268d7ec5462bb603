import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimContext } from '../context.js';
import { inlineAudio, type PartSummary } from '../content.js';
import { audioMimeType } from '../media/audio-info.js';
import { deliveryFor } from '../delivery.js';
import { BODY_LIMIT_BYTES, presentedKey } from '../provider-scope.js';
import { awaitWholeAnswer } from '../respond.js';
import { countTokens } from '../tokens.js';
import { openaiErrors } from './errors.js';

/** The file extensions OpenAI accepts for transcription, as its own error lists them. */
const SUPPORTED_EXTENSIONS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];
const RESPONSE_FORMATS = ['json', 'text', 'verbose_json', 'srt', 'vtt'];

/** `POST /audio/transcriptions`: multipart `file` + `model`, answered with a deterministic transcript. */
export async function openaiTranscriptions(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  // Keep multipart bodies as bytes; the handler reads them with the platform's own FormData parser.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  app.post('/audio/transcriptions', { bodyLimit: BODY_LIMIT_BYTES }, (request, reply) => transcribe(ctx, request, reply));
}

async function transcribe(ctx: SimContext, request: FastifyRequest, reply: FastifyReply) {
  const form = await readForm(request);
  const model = form.get('model');
  const file = form.get('file');
  const responseFormat = form.get('response_format') ?? 'json';
  if (typeof model !== 'string' || model === '') throw openaiErrors.invalidRequest("Missing required parameter: 'model'.", 'model');
  if (file === null || typeof file === 'string') throw openaiErrors.invalidRequest("Missing required parameter: 'file'.", 'file');
  if (typeof responseFormat !== 'string' || !RESPONSE_FORMATS.includes(responseFormat)) {
    throw openaiErrors.invalidRequest(`Invalid value for 'response_format': expected one of ${RESPONSE_FORMATS.join(', ')}.`, 'response_format');
  }
  const bytes = Buffer.from(await file.arrayBuffer());
  const extension = file.name.includes('.') ? (file.name.split('.').pop() ?? '').toLowerCase() : '';
  const audio = inlineAudio('user', bytes, extension === '' ? undefined : extension);
  if (audio.format === undefined && !SUPPORTED_EXTENSIONS.includes(extension)) {
    throw openaiErrors.invalidRequest(`Invalid file format. Supported formats: ['${SUPPORTED_EXTENSIONS.join("', '")}']`, 'file');
  }

  const fault = ctx.faults.take('openai', model);
  const record = ctx.recordOf(request);
  if (record !== undefined) ctx.requests.note(record, { model, parts: [audio], fault: fault?.kind });
  const delivery = deliveryFor(fault, ctx.tokenDelayMs, openaiErrors, presentedKey(request));
  const text = transcript(audio);
  if (!(await awaitWholeAnswer(reply, countTokens(text), delivery, ctx.closing))) return;
  return reply.headers({ 'x-request-id': ctx.nextId('req_') }).send(render(responseFormat, text, audio.durationMs));
}

async function readForm(request: FastifyRequest): Promise<FormData> {
  const contentType = request.headers['content-type'] ?? '';
  if (!Buffer.isBuffer(request.body) || !contentType.startsWith('multipart/form-data')) {
    throw openaiErrors.invalidRequest('Expected a multipart/form-data body with a file and a model.');
  }
  try {
    // A copy, typed as the plain ArrayBuffer view the fetch types want.
    return await new Response(new Uint8Array(request.body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw openaiErrors.invalidRequest('Could not parse the multipart/form-data body.');
  }
}

/** Says what arrived, so a test can tell the whole file came through. */
function transcript(audio: Extract<PartSummary, { type: 'audio' }>): string {
  const kind = audio.format === undefined ? `a .${audio.declaredFormat ?? 'unknown'} file` : audioMimeType(audio.format);
  const duration = audio.durationMs === undefined ? '' : `, ${(audio.durationMs / 1000).toFixed(2)} seconds`;
  return `Simulated transcript of ${audio.bytes} bytes of ${kind}${duration}.`;
}

function render(responseFormat: string, text: string, durationMs: number | undefined): unknown {
  const seconds = (durationMs ?? 0) / 1000;
  switch (responseFormat) {
    case 'text':
      return `${text}\n`;
    case 'verbose_json':
      return {
        task: 'transcribe',
        language: 'english',
        duration: seconds,
        text,
        segments: [{ id: 0, seek: 0, start: 0, end: seconds, text, tokens: [], temperature: 0, avg_logprob: 0, compression_ratio: 1, no_speech_prob: 0 }],
      };
    case 'srt':
      return `1\n00:00:00,000 --> ${timestamp(seconds, ',')}\n${text}\n\n`;
    case 'vtt':
      return `WEBVTT\n\n00:00:00.000 --> ${timestamp(seconds, '.')}\n${text}\n\n`;
    default:
      return durationMs === undefined ? { text } : { text, usage: { type: 'duration', seconds: Math.ceil(seconds) } };
  }
}

function timestamp(seconds: number, decimalMark: ',' | '.'): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${decimalMark}${pad(ms % 1000, 3)}`;
}
