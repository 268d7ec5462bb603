import { type Static, Type } from 'typebox';
import { MAX_ANSWER_TOKENS, type Sampling } from '../answers.js';
import { type ConversationSummary, inlineAudio, inlineImage, imageByUrl, type PartSummary } from '../content.js';
import { decodeBase64 } from '../media/base64.js';
import { checker, dottedParam } from '../validate.js';
import { geminiErrors, unprocessableImage } from './errors.js';

// REST takes proto-JSON in camelCase, and the official curl samples use snake_case; both parse.
const Blob = Type.Object({ mimeType: Type.Optional(Type.String()), mime_type: Type.Optional(Type.String()), data: Type.String() });
const FileData = Type.Object({
  fileUri: Type.Optional(Type.String()),
  file_uri: Type.Optional(Type.String()),
  mimeType: Type.Optional(Type.String()),
  mime_type: Type.Optional(Type.String()),
});
const Part = Type.Object({
  text: Type.Optional(Type.String()),
  inlineData: Type.Optional(Blob),
  inline_data: Type.Optional(Blob),
  fileData: Type.Optional(FileData),
  file_data: Type.Optional(FileData),
});
const Content = Type.Object({ role: Type.Optional(Type.String()), parts: Type.Array(Part) });
const TokenBudget = Type.Integer({ minimum: 1, maximum: MAX_ANSWER_TOKENS });
const StopSequences = Type.Array(Type.String(), { maxItems: 5 });
const Penalty = Type.Number({ minimum: -2, maximum: 2 });
const GenerationConfig = Type.Object({
  maxOutputTokens: Type.Optional(TokenBudget),
  max_output_tokens: Type.Optional(TokenBudget),
  stopSequences: Type.Optional(StopSequences),
  stop_sequences: Type.Optional(StopSequences),
  topP: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  seed: Type.Optional(Type.Integer()),
  presencePenalty: Type.Optional(Penalty),
  presence_penalty: Type.Optional(Penalty),
  frequencyPenalty: Type.Optional(Penalty),
  frequency_penalty: Type.Optional(Penalty),
  responseMimeType: Type.Optional(Type.String()),
  response_mime_type: Type.Optional(Type.String()),
  responseJsonSchema: Type.Optional(Type.Unknown()),
  response_json_schema: Type.Optional(Type.Unknown()),
  responseSchema: Type.Optional(Type.Unknown()),
  response_schema: Type.Optional(Type.Unknown()),
});

/** The config's sampling and format options in the simulator's common form; undefined when none. */
function samplingOf(config: Static<typeof GenerationConfig> | undefined): Sampling | undefined {
  if (config === undefined) return undefined;
  const stop = config.stopSequences ?? config.stop_sequences;
  const topP = config.topP ?? config.top_p;
  const presencePenalty = config.presencePenalty ?? config.presence_penalty;
  const frequencyPenalty = config.frequencyPenalty ?? config.frequency_penalty;
  const json = (config.responseMimeType ?? config.response_mime_type) === 'application/json';
  const schema = config.responseJsonSchema ?? config.response_json_schema ?? config.responseSchema ?? config.response_schema;
  const sampling: Sampling = {
    ...(stop === undefined || stop.length === 0 ? {} : { stop }),
    ...(topP === undefined ? {} : { topP }),
    ...(config.seed === undefined ? {} : { seed: config.seed }),
    ...(presencePenalty === undefined ? {} : { presencePenalty }),
    ...(frequencyPenalty === undefined ? {} : { frequencyPenalty }),
    ...(json ? { responseFormat: schema === undefined ? 'json_object' : 'json_schema' } : {}),
  };
  return Object.keys(sampling).length === 0 ? undefined : sampling;
}

/** The fields of a GenerateContentRequest the simulator reads; others are accepted and ignored. */
export const GenerateContentRequest = Type.Object({
  contents: Type.Array(Content, { minItems: 1 }),
  systemInstruction: Type.Optional(Content),
  system_instruction: Type.Optional(Content),
  generationConfig: Type.Optional(GenerationConfig),
  generation_config: Type.Optional(GenerationConfig),
});
export type GenerateContentRequest = Static<typeof GenerateContentRequest>;

const checkRequest = checker(GenerateContentRequest);

/** Validates a GenerateContentRequest and summarises it; throws Gemini's 400 when malformed. */
export function readGenerateRequest(
  body: unknown,
  model: string,
): { summary: ConversationSummary; maxTokens: number | undefined; sampling: Sampling | undefined } {
  const checked = checkRequest(body);
  if (!checked.ok) throw geminiErrors.invalidRequest(checked.problem.message, dottedParam(checked.problem.pointer) || 'body');
  const request = checked.value;
  const parts: PartSummary[] = [];
  const promptTexts: string[] = [];
  const system = request.systemInstruction ?? request.system_instruction;
  for (const part of system?.parts ?? []) if (part.text !== undefined) promptTexts.push(part.text);
  let lastUserText: string | undefined;
  for (const [c, content] of request.contents.entries()) {
    // A content without a role is the user's, as in single-turn requests.
    const role = content.role ?? 'user';
    const texts: string[] = [];
    for (const [p, part] of content.parts.entries()) {
      parts.push(readPart(part, role, `contents[${c}].parts[${p}]`));
      if (part.text !== undefined) texts.push(part.text);
    }
    promptTexts.push(...texts);
    if (role === 'user') lastUserText = texts.length > 0 ? texts.join('\n') : undefined;
  }
  const config = request.generationConfig ?? request.generation_config;
  return {
    summary: { model, messages: request.contents.length, lastUserText, parts, promptTexts },
    maxTokens: config?.maxOutputTokens ?? config?.max_output_tokens,
    sampling: samplingOf(config),
  };
}

function readPart(part: Static<typeof Part>, role: string, param: string): PartSummary {
  if (part.text !== undefined) return { role, type: 'text', chars: part.text.length };
  const blob = part.inlineData ?? part.inline_data;
  if (blob !== undefined) {
    const mimeType = (blob.mimeType ?? blob.mime_type ?? '').toLowerCase();
    const bytes = decodeBase64(blob.data);
    if (bytes === undefined) throw geminiErrors.invalidRequest('Invalid value (bytes): not valid base64.', `${param}.inline_data.data`);
    if (mimeType.startsWith('image/')) return inlineImage(role, bytes, mimeType) ?? throwImage(param);
    if (mimeType.startsWith('audio/')) return inlineAudio(role, bytes, mimeType);
    return { role, type: 'other', kind: mimeType || 'inline_data', bytes: bytes.length };
  }
  const file = part.fileData ?? part.file_data;
  if (file !== undefined) {
    const uri = file.fileUri ?? file.file_uri ?? '';
    const mimeType = file.mimeType ?? file.mime_type ?? '';
    return mimeType.startsWith('image/') ? imageByUrl(role, uri) : { role, type: 'other', kind: 'file_data' };
  }
  return { role, type: 'other', kind: 'part' };
}

function throwImage(param: string): never {
  throw unprocessableImage(param);
}
