import type { Endpoints } from '../base/profile-schema.ts';

/**
 * Endpoint overrides (local emulators, S3-compatible stores) must not send signed requests and session tokens in
 * clear over a network: `http://` is accepted only for loopback hosts, unless the profile explicitly sets
 * `allowInsecureEndpoints` (e.g. a test stack on a trusted LAN).
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The `service=url` overrides that would travel in clear to another machine. */
export function insecureEndpoints(endpoints: Endpoints | undefined): string[] {
  const out: string[] = [];
  for (const [service, url] of Object.entries(endpoints ?? {})) {
    if (!url) continue;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      continue; // the schema reports malformed URLs
    }
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) out.push(`${service}=${url}`);
  }
  return out;
}

export function insecureEndpointMessage(profileName: string, bad: string[]): string {
  return (
    `profile '${profileName}' sends AWS requests over plain http:// to another machine (${bad.join(', ')}); ` +
    'signed requests and session tokens would travel in clear. Use https://, a loopback address (127.0.0.1, localhost), ' +
    'or allow it explicitly for this profile (allowInsecureEndpoints: true; CLI: --allow-insecure-endpoints).'
  );
}

export class InsecureEndpointError extends Error {
  readonly code = 'INSECURE_ENDPOINT';
  readonly hint = 'Edit the profile: use https:// endpoints, or allow plain http for it if the network is trusted.';

  constructor(profileName: string, bad: string[]) {
    super(insecureEndpointMessage(profileName, bad));
    this.name = 'InsecureEndpointError';
  }
}

/** Throws InsecureEndpointError when the profile would use a non-loopback http:// endpoint without allowing it. */
export function checkEndpoints(profile: {
  name: string;
  endpoints?: Endpoints;
  allowInsecureEndpoints?: boolean;
}): void {
  if (profile.allowInsecureEndpoints) return;
  const bad = insecureEndpoints(profile.endpoints);
  if (bad.length) throw new InsecureEndpointError(profile.name, bad);
}
