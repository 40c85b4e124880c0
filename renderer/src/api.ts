import { createClient, type Transport } from '../../app/common/client.ts';
import type { Api } from '../../app/common/contract/index.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser, where the API goes over HTTP. */
    cosmicai?: Api;
  }
}

const TOKEN_KEY = 'cosmicai.token';

/** Takes the session token from the URL once, keeps it for this tab, and removes it from the address bar. */
function sessionToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function httpTransport(): Transport {
  const token = sessionToken();
  let source: EventSource | null = null;
  const events = () => (source ??= new EventSource(`api/events?token=${encodeURIComponent(token)}`));
  return {
    async invoke(method, input) {
      const res = await fetch(`api/call/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-cosmicai-token': token },
        body: JSON.stringify(input ?? {}),
      });
      return res.json();
    },
    subscribe(channel, cb) {
      const listener = (e: MessageEvent) => cb(JSON.parse(e.data));
      events().addEventListener(channel, listener as EventListener);
      return () => events().removeEventListener(channel, listener as EventListener);
    },
  };
}

export const isElectron = typeof window !== 'undefined' && !!window.cosmicai;
export const api: Api = window.cosmicai ?? createClient(httpTransport());
