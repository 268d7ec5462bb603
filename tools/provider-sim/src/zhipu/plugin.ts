import type { FastifyInstance } from 'fastify';
import type { SimContext } from '../context.js';
import { decodeBase64, parseDataUrl } from '../media/base64.js';
import { chatCompletions } from '../openai/chat.js';
import type { ImageSource } from '../openai/chat-request.js';
import { BODY_LIMIT_BYTES, bearerKey, providerScope } from '../provider-scope.js';
import { zhipuErrors, zhipuImageError } from './errors.js';

/**
 * Zhipu takes an http(s) URL or bare base64 in `image_url.url`. Its GLM-4V models refuse the
 * `data:…;base64,` prefix that OpenAI requires, which is the quirk clients must work around;
 * other GLM models are lenient here and take both.
 */
function imageSource(url: string, model: string): ImageSource {
  if (/^https?:\/\//i.test(url)) return { kind: 'url', url };
  if (/^data:/i.test(url)) {
    if (model.toLowerCase().startsWith('glm-4v')) throw zhipuImageError();
    const data = parseDataUrl(url);
    if (data === undefined) throw zhipuImageError();
    return { kind: 'inline', bytes: data.bytes, mimeType: data.mimeType };
  }
  const bytes = decodeBase64(url);
  if (bytes === undefined) throw zhipuImageError();
  return { kind: 'inline', bytes };
}

/** Zhipu's OpenAI-compatible API under the prefix used as `ZHIPU_BASE_URL` (`/zhipu/api/paas/v4`). */
export async function zhipuApi(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  // Zhipu takes `Bearer <key>` and also a bare key or JWT in the header.
  providerScope(app, { provider: 'zhipu', errors: zhipuErrors, hasKey: (request) => bearerKey(request) !== undefined, ctx });
  app.post(
    '/chat/completions',
    { bodyLimit: BODY_LIMIT_BYTES },
    chatCompletions(ctx, {
      provider: 'zhipu',
      streamUsage: 'with_finish',
      errors: zhipuErrors,
      imageSource,
      undecodableImage: zhipuImageError,
    }),
  );
}
