/**
 * The fields every GA server event must carry: the non-optional properties of openai-node's
 * `RealtimeServerEvent` union (node_modules/openai/resources/realtime/realtime.d.ts, v7), listed
 * here for the event types a realtime-relay client can see over a WebSocket. A client written
 * against those types reads these fields without checking for them.
 */
export const GA_REQUIRED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  error: ['event_id', 'error'],
  'session.created': ['event_id', 'session'],
  'session.updated': ['event_id', 'session'],
  'conversation.created': ['event_id', 'conversation'],
  'conversation.item.added': ['event_id', 'item'],
  'conversation.item.done': ['event_id', 'item'],
  'conversation.item.created': ['event_id', 'item'],
  'conversation.item.retrieved': ['event_id', 'item'],
  'conversation.item.truncated': ['event_id', 'item_id', 'content_index', 'audio_end_ms'],
  'conversation.item.deleted': ['event_id', 'item_id'],
  'conversation.item.input_audio_transcription.delta': ['event_id', 'item_id'],
  'conversation.item.input_audio_transcription.completed': ['event_id', 'item_id', 'content_index', 'transcript', 'usage'],
  'conversation.item.input_audio_transcription.failed': ['event_id', 'item_id', 'content_index', 'error'],
  'conversation.item.input_audio_transcription.segment': ['event_id', 'item_id', 'content_index', 'id', 'start', 'end', 'speaker', 'text'],
  'input_audio_buffer.committed': ['event_id', 'item_id'],
  'input_audio_buffer.cleared': ['event_id'],
  'input_audio_buffer.speech_started': ['event_id', 'item_id', 'audio_start_ms'],
  'input_audio_buffer.speech_stopped': ['event_id', 'item_id', 'audio_end_ms'],
  'input_audio_buffer.timeout_triggered': ['event_id', 'item_id', 'audio_start_ms', 'audio_end_ms'],
  'rate_limits.updated': ['event_id', 'rate_limits'],
  'response.created': ['event_id', 'response'],
  'response.done': ['event_id', 'response'],
  'response.output_item.added': ['event_id', 'response_id', 'output_index', 'item'],
  'response.output_item.done': ['event_id', 'response_id', 'output_index', 'item'],
  'response.content_part.added': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index', 'part'],
  'response.content_part.done': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index', 'part'],
  'response.output_text.delta': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index', 'delta'],
  'response.output_text.done': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index', 'text'],
  'response.output_audio.delta': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index', 'delta'],
  'response.output_audio.done': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index'],
  'response.output_audio_transcript.delta': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index', 'delta'],
  'response.output_audio_transcript.done': ['event_id', 'response_id', 'item_id', 'output_index', 'content_index', 'transcript'],
  'response.function_call_arguments.delta': ['event_id', 'response_id', 'item_id', 'output_index', 'call_id', 'delta'],
  'response.function_call_arguments.done': ['event_id', 'response_id', 'item_id', 'output_index', 'call_id', 'name', 'arguments'],
};

/** What is wrong with a server event by GA's types: an unknown type, or the required fields it lacks. */
export function gaProblems(event: Record<string, unknown>): string[] {
  const type = String(event.type);
  const required = GA_REQUIRED_FIELDS[type];
  if (required === undefined) return [`${type}: not a GA server event`];
  const problems = required.filter((field) => event[field] === undefined || event[field] === null).map((field) => `${type}: no ${field}`);
  // The objects GA clients read further: items have an id and a type, responses an id, a status and (when done) their output.
  const items = [event.item, ...(type === 'response.done' ? (((event.response as { output?: unknown[] }).output ?? []) as unknown[]) : [])];
  for (const item of items) {
    if (item === undefined) continue;
    const { id, type: itemType } = item as { id?: unknown; type?: unknown };
    if (typeof id !== 'string' || typeof itemType !== 'string') problems.push(`${type}: an item without id or type`);
  }
  if (type === 'response.created' || type === 'response.done') {
    const response = event.response as { id?: unknown; status?: unknown; output?: unknown };
    if (typeof response.id !== 'string' || typeof response.status !== 'string' || !Array.isArray(response.output)) problems.push(`${type}: response without id, status or output`);
  }
  return problems;
}
