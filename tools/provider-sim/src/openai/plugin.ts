import type { FastifyInstance } from 'fastify';
import type { SimContext } from '../context.js';
import { parseDataUrl } from '../media/base64.js';
import { BODY_LIMIT_BYTES, bearerKey, providerScope } from '../provider-scope.js';
import { type ChatDialect, chatCompletions } from './chat.js';
import type { ImageSource } from './chat-request.js';
import { openaiError, openaiErrors, unsupportedImage } from './errors.js';
import { openaiModels } from './models.js';
import { openaiTranscriptions } from './transcriptions.js';
import { openaiWebrtc } from './webrtc/plugin.js';

/** OpenAI takes an image as an http(s) URL or a base64 data URL, nothing else. */
function imageSource(url: string, _model: string, param: string): ImageSource {
  if (/^https?:\/\//i.test(url)) return { kind: 'url', url };
  if (!/^data:/i.test(url)) {
    throw openaiError(
      400,
      `Invalid '${param}'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value without the 'data:' prefix.`,
      'invalid_request_error',
      { param, code: 'invalid_value' },
    );
  }
  const data = parseDataUrl(url);
  if (data === undefined) throw unsupportedImage(param);
  return { kind: 'inline', bytes: data.bytes, mimeType: data.mimeType };
}

const dialect: ChatDialect = {
  provider: 'openai',
  streamUsage: 'on_request',
  errors: openaiErrors,
  imageSource,
  undecodableImage: unsupportedImage,
};

/**
 * The OpenAI REST API, registered under the prefix services use as `OPENAI_BASE_URL`
 * (`/openai/v1`). WebRTC calls and client secrets are their own plugin (`webrtc/`); the realtime WebSocket is served by upgrade.
 */
export async function openaiApi(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  providerScope(app, { provider: 'openai', errors: openaiErrors, hasKey: (request) => bearerKey(request) !== undefined, ctx });
  app.post('/chat/completions', { bodyLimit: BODY_LIMIT_BYTES }, chatCompletions(ctx, dialect));
  await app.register(openaiModels);
  await app.register(openaiTranscriptions, { ctx });
  await app.register(openaiWebrtc, { ctx });
}
