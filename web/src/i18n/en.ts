/**
 * English UI text, the reference catalogue: every other language must supply each key
 * (the `Messages` type makes a missing one a compile error). `{name}` marks a value filled in by `t()`.
 */
export const en = {
  'app.tagline': 'Self-hosted AI conversations',
  'lang.label': 'Language',

  'picker.label': 'Model',
  'picker.choose': 'Choose a model',
  'picker.listLabel': 'Available models',
  'picker.group.text': 'Text',
  'picker.group.realtime': 'Realtime voice',
  'picker.loading': 'Loading models…',
  'picker.empty': 'No models are configured on this server.',
  'picker.failed': 'Could not load the models: {message}',
  'picker.retry': 'Try again',

  'badge.simulated': 'simulated',
  'badge.simulatedHint': 'Answered by the built-in provider simulator, not the real service',

  'input.text': 'text',
  'input.image': 'image',
  'input.audio': 'audio',

  'transport.http': 'HTTP streaming',
  'transport.websocket': 'WebSocket relay',
  'transport.webrtc': 'WebRTC',

  'provider.openai': 'OpenAI',
  'provider.gemini': 'Google Gemini',
  'provider.zhipu': 'Zhipu GLM',
  'provider.compatible': 'OpenAI-compatible server',

  'kind.text': 'Text chat',
  'kind.realtime': 'Realtime voice',

  'details.heading': 'Chosen model',
  'details.id': 'Model id',
  'details.provider': 'Provider',
  'details.server': 'Server',
  'details.kind': 'Kind',
  'details.input': 'Accepts',
  'details.transports': 'Reached through',
  'details.source': 'Answers come from',
  'details.source.simulated': 'the provider simulator',
  'details.source.live': 'the real provider',
  'details.servedBy': 'Served by',
  'details.simulatedNote':
    'This model is answered by the Voxgate provider simulator: replies are test data, not a real model. Configure a provider key on the server to reach the real service.',
  'details.liveNote': 'Requests go to the provider with the key configured on the server; the browser never sees it.',
  'details.unavailable':
    'The gateway does not offer this model right now: a service it needs is down (see below). It comes back when the service does.',

  'status.label': 'Service status',
  'status.nats': 'NATS',
  'status.nats.connected': 'connected',
  'status.nats.disconnected': 'disconnected',
  'status.up': 'up',
  'status.down': 'down',
  'status.instances.one': '{count} instance',
  'status.instances.other': '{count} instances',
  'status.checking': 'Checking services…',
  'status.unreachable': 'Gateway unreachable: {message}. Retrying…',
  'status.notReady': 'Not ready: {reasons}',
  'status.updated': 'Checked at {time}',

  'error.network': 'no answer from the gateway',
  'error.timeout': 'the gateway did not answer in time',
  'error.invalid': 'unexpected answer from the gateway ({detail})',
  'error.http': 'HTTP {status}: {message}',
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;
