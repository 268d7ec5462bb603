import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';

export interface ProxySettings {
  HTTP_PROXY?: string | undefined;
  HTTPS_PROXY?: string | undefined;
  NO_PROXY?: string | undefined;
}

/**
 * Routes every `fetch` of this process (and so the `openai` and `@google/genai` SDKs, which use the
 * global fetch) through the configured proxy, honouring NO_PROXY. The settings come from the
 * validated config, not from whatever the environment holds later.
 */
export function useProxyForFetch(settings: ProxySettings): boolean {
  if (!settings.HTTP_PROXY && !settings.HTTPS_PROXY) return false;
  setGlobalDispatcher(
    new EnvHttpProxyAgent({
      ...(settings.HTTP_PROXY ? { httpProxy: settings.HTTP_PROXY } : {}),
      ...(settings.HTTPS_PROXY ? { httpsProxy: settings.HTTPS_PROXY } : {}),
      ...(settings.NO_PROXY ? { noProxy: settings.NO_PROXY } : {}),
    }),
  );
  return true;
}
