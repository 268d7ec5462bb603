import type { Messages } from './en.js';

/** 简体中文界面文字。键与 en.ts 一一对应。 */
export const zh: Messages = {
  'app.tagline': '自托管的 AI 对话',
  'lang.label': '语言',

  'picker.label': '模型',
  'picker.choose': '选择模型',
  'picker.listLabel': '可用模型',
  'picker.group.text': '文本',
  'picker.group.realtime': '实时语音',
  'picker.loading': '正在加载模型…',
  'picker.empty': '此服务器尚未配置任何模型。',
  'picker.failed': '无法加载模型：{message}',
  'picker.retry': '重试',

  'badge.simulated': '模拟',
  'badge.simulatedHint': '由内置的服务商模拟器应答，并非真实服务',

  'input.text': '文本',
  'input.image': '图片',
  'input.audio': '音频',

  'transport.http': 'HTTP 流式',
  'transport.websocket': 'WebSocket 中继',
  'transport.webrtc': 'WebRTC',

  'provider.openai': 'OpenAI',
  'provider.gemini': 'Google Gemini',
  'provider.zhipu': '智谱 GLM',
  'provider.compatible': 'OpenAI 兼容服务',

  'kind.text': '文本对话',
  'kind.realtime': '实时语音',

  'details.heading': '当前模型',
  'details.id': '模型 ID',
  'details.provider': '服务商',
  'details.server': '服务器',
  'details.kind': '类型',
  'details.input': '可输入',
  'details.transports': '连接方式',
  'details.source': '回答来自',
  'details.source.simulated': '服务商模拟器',
  'details.source.live': '真实服务商',
  'details.servedBy': '提供服务',
  'details.simulatedNote':
    '此模型由 Voxgate 的服务商模拟器应答：回复是测试数据，并非真实模型。在服务器上配置服务商密钥即可连接真实服务。',
  'details.liveNote': '请求使用服务器上配置的密钥发往服务商，浏览器不会接触到密钥。',
  'details.unavailable': '网关目前不提供此模型：它依赖的服务已离线（见下方）。服务恢复后模型会自动回来。',

  'status.label': '服务状态',
  'status.nats': 'NATS',
  'status.nats.connected': '已连接',
  'status.nats.disconnected': '已断开',
  'status.up': '正常',
  'status.down': '离线',
  'status.instances.one': '{count} 个实例',
  'status.instances.other': '{count} 个实例',
  'status.checking': '正在检查服务…',
  'status.unreachable': '无法连接网关：{message}。正在重试…',
  'status.notReady': '未就绪：{reasons}',
  'status.updated': '检查于 {time}',

  'error.network': '网关没有响应',
  'error.timeout': '网关响应超时',
  'error.invalid': '网关返回了无法识别的内容（{detail}）',
  'error.http': 'HTTP {status}：{message}',
};
