/** Longest stretch of the user's words an answer quotes back. */
const QUOTE_LIMIT_CHARS = 80;

/** What the simulated model says: names the model and quotes the user, so tests can trace a turn. */
export function voiceAnswerText(model: string, userText: string | undefined): string {
  if (userText === undefined || userText.trim() === '') return `Simulated voice answer from ${model}.`;
  const trimmed = userText.trim();
  const quote = trimmed.length > QUOTE_LIMIT_CHARS ? `${trimmed.slice(0, QUOTE_LIMIT_CHARS)}…` : trimmed;
  return `Simulated voice answer from ${model}. You said: "${quote}"`;
}

/** The answer after a tool's result came back. */
export function toolResultAnswerText(model: string, output: string): string {
  const quote = output.length > QUOTE_LIMIT_CHARS ? `${output.slice(0, QUOTE_LIMIT_CHARS)}…` : output;
  return `Simulated voice answer from ${model}. The tool returned: ${quote}`;
}

/** The deterministic transcript of user speech; only its length is known to the simulator. */
export function speechTranscript(durationMs: number): string {
  return `simulated transcript of ${(durationMs / 1000).toFixed(2)} s of speech`;
}

/** A function tool the session declared: name and JSON-Schema parameters. */
export interface ToolSpec {
  name: string;
  parameters?: unknown;
}

/** The first declared tool whose name the user's words mention (case-insensitive), if any. */
export function mentionedTool<T extends ToolSpec>(tools: readonly T[], userText: string | undefined): T | undefined {
  if (userText === undefined) return undefined;
  const lower = userText.toLowerCase();
  return tools.find((tool) => tool.name !== '' && lower.includes(tool.name.toLowerCase()));
}

/**
 * Arguments that satisfy the tool's declared schema in the simplest way: every property of a known
 * type gets a fixed value, so a client can parse them and tests can predict them.
 */
export function toolArguments(parameters: unknown): string {
  const properties = (parameters as { properties?: Record<string, { type?: unknown; enum?: unknown }> } | undefined)?.properties;
  const args: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties ?? {})) {
    if (Array.isArray(schema?.enum) && schema.enum.length > 0) args[name] = schema.enum[0];
    else if (schema?.type === 'number' || schema?.type === 'integer') args[name] = 1;
    else if (schema?.type === 'boolean') args[name] = true;
    else if (schema?.type === 'array') args[name] = [];
    else if (schema?.type === 'object') args[name] = {};
    else args[name] = 'simulated';
  }
  return JSON.stringify(args);
}
