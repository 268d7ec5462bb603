import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { createParser, InputKind, parseJson } from '@voxgate/protocol';
import { ConfigError } from '@voxgate/service-kit';

const ModelSpec = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200 }),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    input: Type.Optional(Type.Array(InputKind, { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);

/**
 * `MODELS_FILE`: extra models of the built-in providers, and OpenAI-compatible servers (Ollama,
 * vLLM, LM Studio, DeepSeek, …) with their base URL and the name of the variable holding their key.
 *
 * ```json
 * { "models": [{ "provider": "openai", "id": "gpt-5-mini", "input": ["text", "image"] }],
 *   "servers": [{ "id": "ollama", "label": "Ollama", "baseUrl": "http://127.0.0.1:11434/v1",
 *                 "apiKeyEnv": "OLLAMA_API_KEY", "models": [{ "id": "llama3.2" }] }] }
 * ```
 */
export const ModelsFile = Type.Object(
  {
    models: Type.Optional(
      Type.Array(
        Type.Object(
          {
            provider: Type.Union([Type.Literal('openai'), Type.Literal('gemini'), Type.Literal('zhipu')]),
            ...ModelSpec.properties,
          },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    ),
    servers: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
            label: Type.Optional(Type.String({ maxLength: 200 })),
            baseUrl: Type.String({ pattern: '^https?://' }),
            /** Name of the environment variable with the server's key; many local servers need none. */
            apiKeyEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
            models: Type.Array(ModelSpec, { minItems: 1, maxItems: 500 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 50 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ModelsFile = Static<typeof ModelsFile>;

const parser = createParser(ModelsFile);

/** Reads and checks the file once at start-up; any problem is a one-line `ConfigError`. */
export function readModelsFile(path: string | undefined): ModelsFile {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration: MODELS_FILE cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const parsed = parseJson(parser, text);
  if (!parsed.ok) throw new ConfigError(`invalid configuration: MODELS_FILE ${parsed.error}`);
  return parsed.value;
}
