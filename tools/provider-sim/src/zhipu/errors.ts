import { type ErrorDialect, ProviderError } from '../provider.js';

/** Zhipu's error body: `{ error: { code, message } }`, the code a numeric string from its catalogue. */
function zhipuError(statusCode: number, code: string, message: string, headers: Record<string, string> = {}): ProviderError {
  return new ProviderError(statusCode, { error: { code, message } }, headers);
}

export const zhipuErrors: ErrorDialect = {
  unauthenticated: () => zhipuError(401, '1001', 'Header中未收到Authorization参数，无法进行身份验证。'),
  invalidRequest: (message, param) => zhipuError(400, '1214', param === undefined ? message : `${param} 参数非法。请检查文档。(${message})`),
  rateLimited: (retryAfterSeconds) =>
    zhipuError(429, '1302', '您当前使用该API的并发数过高，请降低并发，或联系客服增加限额。(simulated)', { 'retry-after': String(retryAfterSeconds) }),
  invalidKey: (key) => zhipuError(401, '1000', `身份验证失败。(simulated: ${key})`),
  serverError: () => zhipuError(500, '500', '内部错误，请稍后重试。(simulated)'),
  notFound: (method, path) => zhipuError(404, '404', `Not Found: ${method} ${path}`),
  fromStatus: (statusCode, message) => zhipuError(statusCode, '1210', `API 调用参数有误，请检查文档。(${message})`),
};

/**
 * What GLM-4V answered to an image it could not take, a `data:` URL prefix included
 * (songquanpeng/one-api#1416, QuantumNous/new-api#136): HTTP 400, code 1210.
 */
export function zhipuImageError(): ProviderError {
  return zhipuError(400, '1210', '图片输入格式/解析错误');
}
