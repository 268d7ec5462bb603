import type { CreateCall, RealtimeSessionConfig } from '@voxgate/protocol';

/**
 * The GA session config OpenAI receives as the `session` part of the call: the model, and the
 * page's options in their GA places (`audio.output.voice`, `audio.input.turn_detection`, with
 * `null` for push-to-talk, `audio.input.transcription` when the user's words are wanted).
 */
export function sessionConfig(call: Pick<CreateCall, 'model' | 'voice' | 'instructions' | 'turnDetection' | 'transcription'>): RealtimeSessionConfig {
  const input: NonNullable<NonNullable<RealtimeSessionConfig['audio']>['input']> = {};
  if (call.turnDetection !== undefined) {
    input.turn_detection = call.turnDetection === 'none' ? null : { type: call.turnDetection };
  }
  // GA takes `{ model }`; the model is OpenAI's default transcription model, named so it is explicit.
  if (call.transcription === true) input.transcription = { model: 'gpt-4o-mini-transcribe' };
  const audio: NonNullable<RealtimeSessionConfig['audio']> = {};
  if (Object.keys(input).length > 0) audio.input = input;
  if (call.voice !== undefined) audio.output = { voice: call.voice };
  return {
    type: 'realtime',
    model: call.model,
    ...(call.instructions === undefined ? {} : { instructions: call.instructions }),
    ...(Object.keys(audio).length > 0 ? { audio } : {}),
  };
}
