import { Type, type TProperties } from 'typebox';
import { Bool, UrlString } from './config.js';

/** A provider key: unset means the provider is not configured and its models are not offered. */
const ApiKey = Type.Optional(Type.String({ minLength: 1, maxLength: 500 }));
const Http = ['http:', 'https:'] as const;
const Ws = ['ws:', 'wss:'] as const;

/**
 * Provider variables, written once and spread by each service into its own schema so that the
 * names and defaults (DESIGN.md's table) cannot drift between services.
 */
export const ProviderEnv = {
  openai: {
    OPENAI_API_KEY: ApiKey,
    OPENAI_BASE_URL: UrlString(Http, { default: 'https://api.openai.com/v1' }),
  },
  openaiRealtime: {
    OPENAI_REALTIME_URL: UrlString(Ws, { default: 'wss://api.openai.com/v1/realtime' }),
  },
  gemini: {
    GEMINI_API_KEY: ApiKey,
    GEMINI_BASE_URL: UrlString(Http, { default: 'https://generativelanguage.googleapis.com' }),
  },
  geminiLive: {
    GEMINI_LIVE_URL: UrlString(Ws, {
      default:
        'wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent',
    }),
  },
  zhipu: {
    ZHIPU_API_KEY: ApiKey,
    ZHIPU_BASE_URL: UrlString(Http, { default: 'https://open.bigmodel.cn/api/paas/v4' }),
  },
  zhipuRealtime: {
    ZHIPU_REALTIME_URL: UrlString(Ws, { default: 'wss://open.bigmodel.cn/api/paas/v4/realtime' }),
  },
  /** Set by `npm start` when the provider URLs point at the development simulator: models say so. */
  simulator: {
    PROVIDER_SIMULATOR: Bool(false),
  },
} satisfies Record<string, TProperties>;
