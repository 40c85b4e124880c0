import { useEffect, useState } from 'react';

/** Screens live in the URL hash: `#/<screen>/<param>/<param>`, so reloads and the back button work everywhere. */
export interface Route {
  screen: string;
  params: string[];
}

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { screen: parts[0] ?? 'home', params: parts.slice(1) };
}

export function navigate(screen: string, ...params: string[]): void {
  window.location.hash = '#/' + [screen, ...params].map(encodeURIComponent).join('/');
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
