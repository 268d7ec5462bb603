export { createParser, parseJson, type Parser, type ParseResult } from './parse.js';
export {
  InputKind,
  ModelCatalogue,
  ModelEntry,
  ModelKind,
  Provider,
  Transport,
} from './models.js';
export {
  DOWNSTREAM_SERVICES,
  GatewayStatus,
  Readiness,
  ServiceInstance,
  ServiceName,
  ServiceStatus,
} from './services.js';
export { CATALOGUE_SERVICES, Headers, Subjects } from './subjects.js';
export { ErrorBody } from './errors.js';
export {
  Attachment,
  ChatLimits,
  ChatMessage,
  ChatRequest,
  ChatRole,
  ContentPart,
  Conversation,
  ConversationList,
  ConversationSummary,
  ConversationTurn,
  RenameConversation,
  TurnChunk,
  TurnChunks,
  TurnStarted,
  Usage,
} from './chat.js';
export { ConversationRef, ConversationRename, GenerationOptions, JetStreamNames, StartTurn, StopTurnReply } from './chat-nats.js';
export {
  WsClientEvent,
  WsError,
  WsServerEvent,
  WsTurnChunk,
  WsTurnSubscribe,
  WsTurnUnsubscribe,
} from './ws.js';
export {
  REALTIME_CLIENT_EVENT_TYPES,
  RealtimeAudioFormat,
  RealtimeContentPart,
  RealtimeControlEvent,
  RealtimeErrorEvent,
  RealtimeErrorType,
  RealtimeFunctionTool,
  RealtimeInputTranscript,
  RealtimeItem,
  RealtimeItemCreate,
  RealtimeItemTruncate,
  RealtimeLimits,
  RealtimeOutputTranscript,
  RealtimeResponseDone,
  RealtimeSessionConfig,
  RealtimeSessionUpdate,
  RealtimeTurnDetection,
  RealtimeUsage,
  type RealtimeClientEventType,
} from './realtime.js';
export {
  RealtimeCloseReason,
  RealtimeSessionClosed,
  RealtimeSessionOpened,
  RealtimeSubjects,
  RealtimeTranscriptEvent,
  RealtimeUsageEvent,
  RelayEntry,
  RelayRegistry,
} from './relay.js';
export {
  ClientSecretRequest,
  ClientSecretResponse,
  CreateCall,
  HangupCall,
  RealtimeCallAnswer,
  RealtimeCallRequest,
  RealtimeHangupAnswer,
  WebrtcLimits,
  WebrtcSubjects,
  WebrtcTurnDetection,
} from './webrtc.js';
